/**
 * A brain descheduled by other work is not behind (#19): the part of a stall its thread spent
 * runnable on the run queue (schedstat's wait) does not count; a stall spent running (blocked
 * by its own work) or neither running nor waiting (SIGSTOP) does. Fake clock, fake schedstat.
 */
import t from 'tap';
import { FakeClock } from '../../../lib/clock.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { LoopWatch, threadSchedTimes } from '../../../brain/state/loop-watch.js';

function rig() {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  const sched = { runMs: 0, waitMs: 0 };
  const watch = new LoopWatch({ clock, events, host: 'b', tickMs: 100, behindMs: 2_000, windowMs: 5_000, sched: () => ({ ...sched }) });
  /** `n` ticks each `lateMs` late, of which the thread spent `waitMs` waiting for a CPU and `runMs` running. */
  const stalls = (n: number, lateMs: number, how: { waitMs?: number; runMs?: number }) => {
    for (let i = 0; i < n; i++) {
      clock.advance(100 + lateMs);
      sched.waitMs += how.waitMs ?? 0;
      sched.runMs += how.runMs ?? 0;
      watch.tick();
    }
  };
  const kinds = () => events.recent({}).map((e) => e.kind);
  return { watch, stalls, kinds };
}

t.test('stalls spent waiting for a CPU: descheduled, not behind', async (t) => {
  const { watch, stalls, kinds } = rig();
  stalls(20, 400, { waitMs: 380, runMs: 20 }); // 8 s of 400 ms stalls, the thread runnable for 380 ms of each
  t.equal(watch.behind, false, `not behind: ${watch.recentLateMs} ms of its own stalls within 5 s`);
  t.equal(watch.descheduledMs, 20 * 380);
  t.same(kinds(), ['brain.descheduled'], 'said once, as info');
  t.equal(watch.stalledMs, 8_000, 'liveness still discounts the whole stall');
});

t.test('stalls spent running (its own work) or stopped (no wait, no run): behind', async (t) => {
  for (const [what, how] of [
    ['blocked by its own work', { runMs: 400 }],
    ['stopped', {}],
    ['mostly its own, a little descheduled', { runMs: 300, waitMs: 100 }],
  ] as const) {
    const { watch, stalls, kinds } = rig();
    stalls(8, 400, how);
    t.equal(watch.behind, true, `${what}: behind (${watch.recentLateMs} ms counted)`);
    t.same(kinds(), ['brain.behind'], what);
  }
});

t.test('without schedstat every stall counts (as before); this kernel gives one', async (t) => {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  const watch = new LoopWatch({ clock, events, host: 'b', tickMs: 100, behindMs: 2_000, windowMs: 5_000, sched: () => undefined });
  for (let i = 0; i < 8; i++) {
    clock.advance(500);
    watch.tick();
  }
  t.equal(watch.behind, true);
  const now = threadSchedTimes();
  t.ok(now && now.runMs > 0 && now.waitMs >= 0, `the test's own thread: ${JSON.stringify(now)}`);
});

t.test('stalls within the start-up grace count for liveness, not towards behind', async (t) => {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  const watch = new LoopWatch({ clock, events, host: 'b', tickMs: 100, behindMs: 2_000, windowMs: 5_000, graceMs: 60_000 });
  for (let i = 0; i < 10; i++) {
    clock.advance(500);
    watch.tick();
  }
  t.equal(watch.behind, false, 'starting: not behind');
  t.equal(watch.stalledMs, 4_000, 'liveness still discounts the stalls');
  clock.advance(60_000);
  watch.tick();
  t.equal(watch.behind, true, 'after the grace a 60 s stall is behind');
});
