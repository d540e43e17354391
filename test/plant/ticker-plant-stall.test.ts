import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

const STALLS = 3;
const STALL_MS = 250;
const RATE = 30000;
const COUNT = 200_000;
const DESKS = ['ws-1', 'ws-2', 'ws-3'];

/**
 * A false takeover: the primary ticker plant stalls (SIGSTOP) longer than the takeover deadline
 * (100 ms) while the feed runs, the secondary takes over, the stalled one wakes up still
 * believing it leads — two primaries at once. The pair must settle on one, the desks must follow
 * it at once (not after their 2-interval silence rule), without ping-pong between the two
 * plants' streams, and every desk must still get every feed seq exactly once, in order.
 */
t.test(
  'a stalled primary ticker plant (SIGSTOP/SIGCONT) makes a split brain that resolves to one primary without loss or stream ping-pong',
  async (t) => {
    const plant = await PlantHarness.create({ rate: RATE, count: COUNT, subscribers: DESKS.map((id) => ({ id })), desksPerProcess: 3 });
    t.teardown(() => plant.stopAll());
    await plant.startDistribution();
    plant.startProvider();
    await waitFor('the desks to be mid-stream', () => (plant.hb('ws-1')?.seq ?? 0) > 2000, {
      timeoutMs: 20_000,
      progress: () => plant.hb('ws-1')?.seq,
    });

    const splitBrains = (id: string) => Number(plant.hb(id)?.counters['split_brains'] ?? 0);
    for (let i = 0; i < STALLS; i++) {
      const stalled = plant.primary('tp')!.component;
      const other = stalled === 'tp-a' ? 'tp-b' : 'tp-a';
      const seen = splitBrains(other);
      const proc = plant.procs.get(stalled)!.proc;
      proc.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, STALL_MS)); // the stall's length is the fault injected, not a wait for a condition
      await waitFor(`${other} to take over from the stalled ${stalled}`, () => plant.hb(other)?.role === 'primary', { timeoutMs: 5_000 });
      proc.kill('SIGCONT');
      await waitFor('the split brain seen and settled on one primary', () => splitBrains(other) > seen && plant.primary('tp'), {
        timeoutMs: 5_000,
      });
      await waitFor('both members heard again', () => plant.hb(stalled) && plant.hb(other) && plant.primary('tp'), { timeoutMs: 5_000 });
      t.comment(
        `stall ${i + 1}: ${stalled} stopped ${STALL_MS} ms; primary now ${plant.primary('tp')?.component}, desk at ${plant.hb('ws-1')?.seq}`,
      );
    }
    t.ok((plant.hb('ws-1')?.seq ?? 0) < COUNT, 'every stall happened while the feed was running');
    await plant.ctl({ cmd: 'rate', rate: 60_000 });
    await waitFor('every desk to reach the last feed seq', () => DESKS.every((id) => plant.hb(id)?.seq === COUNT), {
      timeoutMs: 30_000,
      progress: () => DESKS.map((id) => plant.hb(id)?.seq),
    });

    const desks = plant.procs.get('ws-1')!;
    for (const id of DESKS) {
      const s = await desks.stop(id);
      t.match(
        s,
        {
          updates: COUNT,
          first_feed_seq: 1,
          last_feed_seq: COUNT,
          feed_seq_breaks: 0,
          symbol_seq_breaks: 0,
          lost_updates: 0,
          gaps_unrecoverable: 0,
        },
        `${id} got 1..${COUNT} exactly once, in order`,
      );
      // One stream at start, then one per split brain (to the usurper, which keeps the lead), plus
      // one for a fresh stream whose first datagram was lost (a midway join) on a loaded machine.
      t.ok(
        (s['stream_switches'] as number) <= 2 + STALLS,
        `${id}: ${String(s['stream_switches'])} stream switches for ${STALLS} split brains`,
      );
      t.ok((s['midway_joins'] as number) <= 1, `${id}: ${String(s['midway_joins'])} midway joins`);
      // No replay storm: the duplicates are the overlap of one re-broadcast per switch (each at
      // most the records since the desk's last acknowledgement plus the stall), not a feed's worth.
      t.ok((s['duplicates'] as number) < COUNT / 2, `${id}: ${String(s['duplicates'])} duplicates dropped`);
    }
    const summaries = await Promise.all(['tp-a', 'tp-b'].map((id) => plant.procs.get(id)!.stop()));
    t.equal(summaries.filter((s) => s['role'] === 'primary').length, 1, 'exactly one primary ticker plant at the end');
    // The member that woke from its stall did not win the lead back, nor lose it again while it
    // worked off its backlog: one takeover per stall, no flapping.
    t.equal(
      summaries.reduce((n, s) => n + (s['failovers'] as number), 0),
      STALLS,
      'one takeover per stall',
    );
  },
);
