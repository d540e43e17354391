// The BOD readiness check: exactly one event at the deadline of each trading day.
import t from 'tap';
import { FakeClock } from '../../../lib/clock.js';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { BodReadiness, componentsUpIn, nextDeadline, publishTo } from '../../../brain/calendar/readiness.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { SeriesTable } from '../../../brain/state/series-table.js';

const { calendar } = loadCalendarFile('rules/calendar/trading-day.yaml');

function world(start: number) {
  const clock = new FakeClock(start);
  const series = new SeriesTable(100);
  const events = new EventLog({ clock });
  const beat = (component: string) => {
    const s = series.intern(`plant:${component}`, { component }, { measurement: 'plant', field: 'state', tags: {}, kind: 0 })!;
    s.last = 0;
    s.lastUs = clock.nowUs();
  };
  const check = new BodReadiness({
    clock,
    calendar,
    market: 'LDN',
    isUp: componentsUpIn(series, clock, 90_000),
    publish: publishTo(events, clock),
  });
  return { clock, events, beat, check };
}

t.test('all components up by 07:45 London: one "system ready"', async (t) => {
  const w = world(Date.UTC(2026, 10, 23, 7, 0)); // Monday 07:00 GMT
  w.check.start();
  w.clock.advance(44 * 60_000);
  t.equal(w.events.recent().length, 0, 'nothing before the deadline');
  for (const c of ['fh-a', 'fh-b', 'tp-a', 'tp-b']) w.beat(c);
  w.clock.advance(60_000);
  const out = w.events.recent();
  t.same(
    out.map((e) => [e.kind, e.attrs['message']]),
    [['bod.ready', 'system ready']],
  );
  t.equal(out[0]?.timeUs, Date.UTC(2026, 10, 23, 7, 45) * 1000, 'at the deadline');
  w.clock.advance(60 * 60_000);
  t.equal(w.events.recent().length, 1, 'exactly one');
  w.check.stop();
});

t.test('components missing at the deadline: one "not ready: X, Y"', async (t) => {
  const w = world(Date.UTC(2026, 10, 23, 7, 0));
  w.check.start();
  w.clock.advance(44 * 60_000);
  w.beat('fh-a');
  w.beat('tp-a');
  w.clock.advance(2 * 60 * 60_000);
  t.same(
    w.events.recent().map((e) => [e.kind, e.attrs['message'], e.severity]),
    [['bod.not_ready', 'not ready: fh-b, tp-b', 3]],
  );
  w.check.stop();
});

t.test('the next deadline skips weekends and holidays, in local time across DST', async (t) => {
  const ldn = calendar.markets.get('LDN')!;
  const at = (iso: string) => new Date(nextDeadline(ldn, ldn.readiness!.deadline, Date.parse(iso))!.at).toISOString();
  t.equal(at('2026-11-21T12:00:00Z'), '2026-11-23T07:45:00.000Z', 'Saturday → Monday 07:45 GMT');
  t.equal(at('2026-12-24T12:00:00Z'), '2026-12-29T07:45:00.000Z', 'Christmas and the 28th are holidays');
  t.equal(at('2026-06-30T12:00:00Z'), '2026-07-01T06:45:00.000Z', '07:45 BST in summer');
});
