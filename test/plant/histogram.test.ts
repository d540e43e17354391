import t from 'tap';
import { LatencyHistogram, WindowedLatency } from '../../plant/stats/histogram.js';

t.test('percentiles land within the bucket resolution (~6 %), small values exactly', async (t) => {
  const h = new LatencyHistogram();
  for (let us = 1; us <= 100_000; us++) h.record(us);
  const s = h.summary();
  t.equal(s.count, 100_000);
  t.ok(Math.abs(s.p50 - 50_000) / 50_000 < 0.07, `p50 ${s.p50}`);
  t.ok(Math.abs(s.p99 - 99_000) / 99_000 < 0.07, `p99 ${s.p99}`);
  t.equal(s.max, 100_000);
  const small = new LatencyHistogram();
  [3, 3, 7, 15].forEach((v) => small.record(v));
  t.same(small.summary(), { count: 4, p50: 3, p99: 15, p999: 15, max: 15 });
  const huge = new LatencyHistogram();
  huge.record(2 ** 33);
  t.equal(huge.summary().max, 2 ** 33, 'values past 2^31 µs are bucketed too');
});

t.test('a declared warm-up is kept apart: steady state, warm-up and whole run each summarised', async (t) => {
  const w = new WindowedLatency();
  for (let i = 0; i < 100; i++) w.record(100_000); // start-up: 100 ms each
  w.roll();
  w.record(100_000);
  w.markSteadyState();
  for (let i = 0; i < 1000; i++) w.record(1000);
  t.equal(w.roll().count, 1000, 'the health window holds only what came after the mark');
  for (let i = 0; i < 1000; i++) w.record(2000); // not rolled yet: still counted in the totals
  const s = w.summaries();
  t.equal(s['latency_us']!.count, 2000);
  t.ok(s['latency_us']!.max <= 2000, 'no warm-up sample in the steady state');
  t.equal(s['latency_warmup_us']!.count, 101);
  t.equal(s['latency_whole_run_us']!.count, 2101);
  t.ok(s['latency_whole_run_us']!.p99 > 10_000, 'the whole run shows the start-up tail');
});

t.test('without a declared warm-up the summary is the whole run, once', async (t) => {
  const w = new WindowedLatency();
  w.record(5);
  w.roll();
  w.record(6);
  t.same(Object.keys(w.summaries()), ['latency_us']);
  t.equal(w.summaries()['latency_us']!.count, 2);
});
