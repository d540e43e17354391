/**
 * Poll until a condition holds, the one implementation (tests, benchmarks, drills, the demo,
 * the plant harness). The deadline follows progress: with `progress`, any change of its value
 * restarts the `timeoutMs` window, so a slow machine that is still getting somewhere is not a
 * failure, and a stuck one fails `timeoutMs` after it stopped advancing. A probe that throws counts
 * as "not yet"; its last error is in the timeout message.
 */
import { systemClock, type Clock } from './clock.js';

export type Probe<T> = () => T | undefined | false | null | Promise<T | undefined | false | null>;

export interface WaitOptions {
  /** How long without a value (and without progress) before giving up; default 10 s. */
  readonly timeoutMs?: number;
  readonly everyMs?: number;
  /**
   * A value that changes while the awaited thing advances (lines read, heartbeats seen), compared
   * by its JSON (an array or object made afresh at each call is progress only when it differs).
   */
  readonly progress?: () => unknown;
  /** What is still missing (which lines, which hosts), added to the timeout's message. */
  readonly detail?: () => string;
  /** A FakeClock in tests of the waiting itself; default: wall time, with a timer that keeps the process alive. */
  readonly clock?: Clock;
}

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

export async function waitFor<T>(what: string, probe: Probe<T>, opts: WaitOptions = {}): Promise<T> {
  const clock = opts.clock ?? systemClock;
  // The system clock's timers are unref'd; a waiter must hold the process open meanwhile.
  const pause = (ms: number) => new Promise<void>((r) => (opts.clock ? opts.clock.setTimeout(r, ms) : setTimeout(r, ms)));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let deadline = clock.now() + timeoutMs;
  const progressNow = async () => (opts.progress ? JSON.stringify(await opts.progress()) : undefined);
  let seen = await progressNow();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      lastError = err;
    }
    if (opts.progress) {
      const now = await progressNow();
      if (now !== seen) {
        seen = now;
        deadline = clock.now() + timeoutMs;
      }
    }
    if (clock.now() > deadline) {
      const stuck = opts.progress ? ` (no progress for ${timeoutMs} ms; last progress ${seen})` : ` (${timeoutMs} ms)`;
      const detail = opts.detail ? `: ${opts.detail()}` : '';
      throw new WaitTimeout(`timed out waiting for ${what}${stuck}${lastError ? `: ${String(lastError)}` : ''}${detail}`);
    }
    await pause(opts.everyMs ?? 20);
  }
}

/** The same, for callers that carry on without the value: undefined when the time is up. */
export function waitForOrUndefined<T>(what: string, probe: Probe<T>, opts: WaitOptions = {}): Promise<T | undefined> {
  return waitFor(what, probe, opts).catch((err: unknown) => {
    if (err instanceof WaitTimeout) return undefined;
    throw err;
  });
}
