/**
 * LoopWatch.stalledSinceMs (issue #16): how much of the wall time since a moment the brain's loop
 * did not attend, the stall still running included: what a threshold rule's `max_age` leaves
 * out of a value's age. A hand-driven clock: ticks run when the test says (a stall is time
 * passing without a tick).
 */
import t from 'tap';
import type { Clock } from '../../../lib/clock.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { LoopWatch } from '../../../brain/state/loop-watch.js';

function rig() {
  let ms = 1_000_000;
  const clock: Clock = {
    now: () => ms,
    nowUs: () => ms * 1000,
    monotonic: () => ms,
    setTimeout: () => ({ cancel: () => undefined }),
    setInterval: () => ({ cancel: () => undefined }),
  };
  const watch = new LoopWatch({ clock, events: new EventLog({ clock }), host: 'b', tickMs: 100, stallMs: 250 });
  const at = () => ms;
  /** `n` ticks on time. */
  const ticks = (n: number) => {
    for (let i = 0; i < n; i++) {
      ms += 100;
      watch.tick();
    }
  };
  /** The loop held `stallMs` past its next tick; `tick` false: still held (pending). */
  const stall = (stallMs: number, tick = true) => {
    ms += 100 + stallMs;
    if (tick) watch.tick();
  };
  return { watch, at, ticks, stall };
}

t.test('before start(): nothing is pending', async (t) => {
  const { watch, at, stall } = rig();
  const from = at();
  stall(2_000, false);
  t.equal(watch.stalledSinceMs(from), 0);
});

t.test('stalls after a moment count, clipped to it; a stall running now counts; short lateness does not', async (t) => {
  const { watch, at, ticks, stall } = rig();
  watch.start();
  ticks(10);
  const before = at();
  stall(2_000); // a stall of 2 s, recorded at its end
  ticks(5);
  stall(100); // late 100 ms: busy, not a stall
  t.equal(watch.stalledSinceMs(before), 2_000, 'the whole 2 s stall');
  t.equal(watch.stalledSinceMs(before + 1_500), 600, 'the part of it after the moment (it ended 2,100 ms after `before`)');
  t.equal(watch.stalledSinceMs(at()), 0, 'none since now');
  const now = at();
  stall(3_000, false);
  t.equal(watch.stalledSinceMs(now), 3_000, 'the stall still running (its tick has not run)');
  t.equal(watch.stalledSinceMs(before), 5_000, 'both');
});

t.test('stalls older than a minute are forgotten', async (t) => {
  const { watch, at, ticks, stall } = rig();
  watch.start();
  const before = at();
  stall(1_000);
  ticks(700);
  stall(500);
  t.equal(watch.stalledSinceMs(before), 500, 'only the recent stall: a value older than a minute is stale whatever the brain did');
});
