/**
 * The wall board's short charts come from rings of recent values in the brain's memory: fixed
 * steps, the latest sample of a step kept, skipped steps empty, old samples not kept, and only
 * limits.max_charted_series rings in the whole table (the rest counted).
 */
import t from 'tap';
import { RECENT_STEP_MS, RECENT_STEPS, RecentRing } from '../../../brain/state/recent-ring.js';
import { SeriesTable } from '../../../brain/state/series-table.js';

const T0 = 1_800_000_000_000; // a step boundary (ms)
const us = (ms: number) => ms * 1000;

t.test('a ring keeps the latest sample per step, oldest first, with gaps as null', async (t) => {
  const r = new RecentRing();
  r.add(us(T0), 1);
  r.add(us(T0 + 1000), 2); // same step: replaces
  r.add(us(T0 + 3 * RECENT_STEP_MS), 4); // two empty steps between
  const p = r.points(T0 + 3 * RECENT_STEP_MS);
  t.equal(p.values.length, RECENT_STEPS, 'always the full window');
  t.equal(p.step_ms, RECENT_STEP_MS);
  t.equal(p.start_ms, T0 + 3 * RECENT_STEP_MS - (RECENT_STEPS - 1) * RECENT_STEP_MS, 'the window ends at now');
  t.same(p.values.slice(-4), [2, null, null, 4], 'latest per step, gaps empty');
  t.ok(
    p.values.slice(0, -4).every((v) => v === null),
    'nothing before the first sample',
  );
  const later = r.points(T0 + 5 * RECENT_STEP_MS);
  t.same(later.values.slice(-6), [2, null, null, 4, null, null], 'steps after the newest sample show empty, not the last value');
});

t.test('a ring wraps, forgets what is older than its window, and takes a late sample within it', async (t) => {
  const r = new RecentRing();
  for (let i = 0; i < RECENT_STEPS * 3; i++) r.add(us(T0 + i * RECENT_STEP_MS), i);
  const now = T0 + (RECENT_STEPS * 3 - 1) * RECENT_STEP_MS;
  const p = r.points(now);
  t.same([p.values[0], p.values.at(-1)], [RECENT_STEPS * 2, RECENT_STEPS * 3 - 1], 'the last window of values, in order');
  r.add(us(now - 10 * RECENT_STEP_MS), -1);
  t.equal(r.points(now).values.at(-11), -1, 'a late sample inside the window lands in its step');
  r.add(us(now - RECENT_STEPS * RECENT_STEP_MS), -2);
  t.notOk(r.points(now).values.includes(-2), 'one older than the window is dropped');
  r.add(us(now + 10 * RECENT_STEPS * RECENT_STEP_MS), 7);
  const jumped = r.points(now + 10 * RECENT_STEPS * RECENT_STEP_MS).values;
  t.same([jumped.filter((v) => v !== null).length, jumped.at(-1)], [1, 7], 'a jump past the window leaves only the new sample');
  t.equal(r.points(now).values.length, RECENT_STEPS, 'and a ring never grows');
});

t.test('the series table gives rings to charted fields only, up to its bound, and counts the rest', async (t) => {
  const table = new SeriesTable(100, 2);
  const def = (measurement: string, field: string, tags: Record<string, string> = {}) => ({ measurement, field, tags, kind: 0 });
  const dirty = table.intern('a', { agent: 'a' }, def('memory', 'dirty_bytes'))!;
  const total = table.intern('a', { agent: 'a' }, def('memory', 'mem_total_bytes'))!;
  const rx = table.intern('a', { agent: 'a' }, def('nic', 'rx_bytes_per_s', { interface: 'eth0' }))!;
  const tx = table.intern('b', { agent: 'b' }, def('nic', 'tx_bytes_per_s', { interface: 'eth0' }))!;
  t.ok(dirty.recent && rx.recent, 'charted fields get a ring');
  t.equal(total.recent, undefined, 'other fields keep only their latest value');
  t.equal(tx.recent, undefined, 'past the bound, no ring');
  t.same([table.charted, table.chartsRefused], [2, 1], 'and it is counted');
  t.same(
    table.ofAgent('a').map((s) => s.field),
    ['dirty_bytes', 'mem_total_bytes', 'rx_bytes_per_s'],
    "one agent's series without a scan",
  );
  t.same(
    [...table.select({ agentId: 'b' })].map((s) => s.field),
    ['tx_bytes_per_s'],
  );
});
