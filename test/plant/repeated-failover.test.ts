import t, { type Test } from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

const CYCLES = 5;
// Slow enough that 5 kill-restart cycles finish mid-feed on a busy machine (75 s of feed); the
// rest of the feed then goes at 10,000/s.
const RATE = 400;
const COUNT = 30_000;

/**
 * Kills the primary of a pair CYCLES times, restarting the victim each time (so from the
 * second kill on the new primary is a member that restarted mid-feed and holds only part of
 * it), then checks that every desk got every feed seq exactly once, in order.
 */
async function repeatedKills(t: Test, pair: 'fh' | 'tp'): Promise<void> {
  const plant = await PlantHarness.create({
    rate: RATE,
    count: COUNT,
    subscribers: [{ id: 'ws-1' }, { id: 'ws-2' }, { id: 'ws-3', symbols: ['SYM03', 'SYM07', 'SYM11'] }],
    // A restarted member joins 1,000 records back and the rings hold ~1,000 datagrams: the member
    // that takes over at the next kill holds only part of the feed, as in a long-running plant.
    extra: { delivery: { join_backlog_records: 1000, ring_datagrams: 1024 } },
  });
  t.teardown(() => plant.stopAll());
  await plant.startDistribution();
  plant.startProvider();
  await waitFor('the desks to be mid-stream', () => (plant.hb('ws-1')?.seq ?? 0) > 500, {
    timeoutMs: 20_000,
    progress: () => plant.hb('ws-1')?.seq,
  });
  const kind = pair === 'fh' ? 'feed-handler' : 'ticker-plant';
  for (let i = 0; i < CYCLES; i++) {
    const victim = plant.primary(pair)!.component;
    const survivor = victim.endsWith('-a') ? `${pair}-b` : `${pair}-a`;
    await waitFor('the survivor heard as secondary', () => plant.hb(survivor)?.role === 'secondary', { timeoutMs: 20_000 });
    const before = plant.hb('ws-1')?.seq ?? 0;
    plant.kill(victim);
    await waitFor(`takeover #${i + 1} by ${survivor}`, () => plant.hb(survivor)?.role === 'primary' && plant.primary(pair), {
      timeoutMs: 10_000,
    });
    await plant.procs.get(victim)!.exited;
    plant.start(victim, [kind, '--id', victim]);
    await waitFor(`${victim} back as secondary`, () => plant.hb(victim)?.role === 'secondary' && (plant.hb(victim)?.hb_seq ?? 0) > 3, {
      timeoutMs: 20_000,
    });
    // The desks moved on after the takeover (the stream really was served by the new primary).
    await waitFor('the desks to move on', () => (plant.hb('ws-1')?.seq ?? 0) > before + 200 || (plant.hb('ws-1')?.seq ?? 0) === COUNT, {
      timeoutMs: 10_000,
    });
    t.comment(`cycle ${i + 1}: ${victim} killed and restarted, desk at ${plant.hb('ws-1')?.seq ?? 0}`);
  }
  t.ok((plant.hb('ws-1')?.seq ?? 0) < COUNT, 'every kill happened while the feed was running');
  await plant.ctl({ cmd: 'rate', rate: 10_000 }); // the rest of the feed, quicker
  await waitFor('every desk to reach the last feed seq', () => ['ws-1', 'ws-2'].every((id) => plant.hb(id)?.seq === COUNT), {
    timeoutMs: 60_000,
    progress: () => ['ws-1', 'ws-2'].map((id) => plant.hb(id)?.seq),
  });
  for (const id of ['ws-1', 'ws-2']) {
    const s = await plant.procs.get(id)!.stop();
    t.comment(`${id}: ${JSON.stringify(s)}`);
    t.match(
      s,
      {
        updates: COUNT,
        first_feed_seq: 1,
        last_feed_seq: COUNT,
        feed_seq_breaks: 0,
        symbol_seq_breaks: 0,
        gaps_unrecoverable: 0,
        unrecoverable_records: 0,
      },
      `${id} got 1..${COUNT} exactly once, in order, across ${CYCLES} ${pair} kills`,
    );
  }
  const subset = await plant.procs.get('ws-3')!.stop();
  t.match(
    subset,
    { symbol_seq_breaks: 0, unexpected_symbols: 0, gaps_unrecoverable: 0 },
    'a desk with three symbols saw each symbol contiguous',
  );
  const members = [];
  for (const id of [`${pair}-a`, `${pair}-b`]) members.push(await plant.procs.get(id)!.stop());
  t.ok(
    members.some((m) => ((m['receiver'] as Record<string, number>)['joinSkipped'] ?? 0) > 0),
    'a restarted member joined mid-feed (it never held the start of it)',
  );
  for (const m of members) t.comment(JSON.stringify(m));
}

t.test(`${CYCLES} ticker-plant kills with restarts: every desk gets every feed seq exactly once, in order`, (t) => repeatedKills(t, 'tp'));
t.test(`${CYCLES} feed-handler kills with restarts: every desk gets every feed seq exactly once, in order`, (t) => repeatedKills(t, 'fh'));
