/**
 * A Clock whose intervals of equal period share one underlying timer, so the agent's periodic
 * jobs (sampler tick, self stats, batch flush, queue fsync, shipper heartbeat — all 1 s by
 * default) wake the process once per period instead of once each, at unrelated phases. At well
 * under 1 % of a core every wakeup counts: each costs a scheduler round trip and an event-loop
 * turn whatever the job does. Jobs of one period run in the order they were registered; a job
 * joining a running group first fires at the group's next beat (within one period, never
 * later). Timeouts pass straight through.
 */
import type { Clock, Timer } from '../lib/clock.js';

export function sharedIntervals(clock: Clock): Clock {
  const groups = new Map<number, { jobs: Set<() => void>; timer: Timer }>();
  return {
    now: () => clock.now(),
    nowUs: () => clock.nowUs(),
    monotonic: () => clock.monotonic(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    setInterval(fn, ms) {
      let group = groups.get(ms);
      if (!group) {
        const jobs = new Set<() => void>();
        // A job that throws must not starve the ones after it (separate timers never did).
        const runAll = () => {
          for (const job of [...jobs]) runIsolated(job);
        };
        group = { jobs, timer: clock.setInterval(runAll, ms) };
        groups.set(ms, group);
      }
      // Each registration is its own entry, even for the same function.
      const job = () => fn();
      group.jobs.add(job);
      const owner = group;
      return {
        cancel() {
          owner.jobs.delete(job);
          if (owner.jobs.size === 0 && groups.get(ms) === owner) {
            owner.timer.cancel();
            groups.delete(ms);
          }
        },
      };
    },
  };
}

function runIsolated(job: () => void): void {
  try {
    job();
  } catch (err) {
    // Rethrown outside the loop so it still surfaces as the uncaught error it would have been.
    queueMicrotask(() => {
      throw err;
    });
  }
}
