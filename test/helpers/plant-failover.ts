/**
 * The fail-over drill both plant pairs share (feed handlers, ticker plants): the feed started,
 * the pair's primary SIGKILLed once the desks are a third of the way through, the survivor's
 * takeover timed from the kill, and every full desk followed to the last feed seq and checked to
 * have had every seq exactly once, in order.
 */
import type { Test } from 'tap';
import type { PlantHarness } from '../../plant/harness.js';
import { timing } from './timing.js';
import { waitFor } from './wait.js';

const FULL_DESKS = ['ws-1', 'ws-2'];

/** Returns the survivor's id; `desk` adds checks on each full desk's exit summary. */
export async function killPrimaryMidStream(
  t: Test,
  plant: PlantHarness,
  pair: 'fh' | 'tp',
  count: number,
  desk: { note: string; check?: (id: string, summary: Record<string, unknown>) => void },
): Promise<string> {
  await plant.startDistribution();
  plant.startProvider();

  // Deadlines follow progress (the desks' feed seq): a busy machine is slow, not stuck.
  const deskSeqs = () => FULL_DESKS.map((id) => plant.hb(id)?.seq ?? 0).join();
  await waitFor('the desks to be mid-stream', () => (plant.hb('ws-1')?.seq ?? 0) > count / 3, { progress: deskSeqs });
  const oldPrimary = plant.primary(pair)!.component;
  const survivor = oldPrimary === `${pair}-a` ? `${pair}-b` : `${pair}-a`;
  const killedAt = plant.kill(oldPrimary);
  const took = await waitFor('the secondary to take over', () => {
    const hb = plant.hb(survivor);
    return hb?.role === 'primary' ? hb : undefined;
  });
  const failoverMs = (took.role_since_mono_us - killedAt) / 1000;
  t.comment(`fail-over ${failoverMs.toFixed(1)} ms after SIGKILL`);
  t.ok(failoverMs > 0, 'the survivor took over after the kill');
  timing(t, 'fail-over after SIGKILL (goal: 3 heartbeat intervals + 20 ms timer slack)', failoverMs, 3 * 100 + 20);

  await waitFor('every desk to reach the last feed seq', () => FULL_DESKS.every((id) => plant.hb(id)?.seq === count), {
    timeoutMs: 15_000,
    progress: deskSeqs,
  });
  for (const id of FULL_DESKS) {
    const s = await plant.procs.get(id)!.stop();
    t.match(
      s,
      { updates: count, first_feed_seq: 1, last_feed_seq: count, feed_seq_breaks: 0, symbol_seq_breaks: 0, gaps_unrecoverable: 0 },
      `${id} got 1..${count} exactly once in order${desk.note}`,
    );
    desk.check?.(id, s);
  }
  return survivor;
}
