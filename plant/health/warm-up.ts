/**
 * Start-up grace: a component that has not yet served live data is `starting`, not `stale`.
 * A ticker plant started before its feed handlers (the demo starts them in that order), or a
 * desk before its ticker plant, has nothing to show yet: no trader is looking at old prices,
 * and a "50 stale symbols" page a few seconds after start-up is a false alarm. The grace is
 * bounded: a component still without live data after `graceMs` reports what it has (stale), so
 * a feed that never comes at start of day still pages.
 */
import type { Clock } from '../../lib/clock.js';

export class WarmUp {
  readonly #clock: Clock;
  readonly #until: number;
  #live = false;

  constructor(clock: Clock, graceMs: number) {
    this.#clock = clock;
    this.#until = clock.monotonic() + graceMs;
  }

  /** True while the component is warming up: no live data yet, within the grace. */
  starting(liveNow: boolean): boolean {
    if (liveNow) this.#live = true;
    return !this.#live && this.#clock.monotonic() < this.#until;
  }
}

export const WARMING_UP_REASON = 'warming up: no live data yet';
