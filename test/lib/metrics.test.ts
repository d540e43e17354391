import t from 'tap';
import { MetricsRegistry } from '../../lib/metrics.js';

t.test('the facade renders counters, gauges, read-at-scrape families and histograms through prom-client', async (t) => {
  const m = new MetricsRegistry({ defaults: false });
  const refused = m.counter('x_refused_total', 'Refused, by reason.', ['reason']);
  refused.inc(1, { reason: 'a' });
  refused.inc(2, { reason: 'a' });
  t.equal(refused.get({ reason: 'a' }), 3, 'get is synchronous');
  const open = m.gauge('x_open', 'Open now.');
  open.set(open.get() + 1);
  let dropped = 5;
  m.counterFn('x_dropped_total', 'Dropped.', () => dropped);
  m.gaugeFn('x_depth', 'Depth.', () => 7);
  m.histogram('x_latency_seconds', 'Latency.', [0.1, 1]).observe(0.5);
  t.equal(m.counter('x_refused_total', 'again'), refused, 'registering a name again returns the same family');

  let text = await m.render();
  t.match(text, '# TYPE x_refused_total counter\nx_refused_total{reason="a"} 3');
  t.match(text, '# TYPE x_open gauge\nx_open 1');
  t.match(text, '# TYPE x_dropped_total counter\nx_dropped_total 5');
  t.match(text, 'x_depth 7');
  t.match(text, 'x_latency_seconds_bucket{le="0.1"} 0\nx_latency_seconds_bucket{le="1"} 1');
  dropped = 9;
  text = await m.render();
  t.match(text, 'x_dropped_total 9', 'a counterFn is read at each scrape');
  t.throws(() => refused.inc(1, { other: 'x' }), /other/, 'an undeclared label is refused, by name');
  t.throws(() => m.gauge('x_refused_total', 'clash'), /another type/);
});
