/**
 * The time the alerting thread did not hear the agents because of the ingest worker, on one
 * clock: the worker's own stalls (a duration it measured), the time its reading was paused by
 * backpressure, and the hand-over's delay (how late this thread applies a flush after the worker
 * sent it). Stamps from the worker and readings here are on `now`, a clock both threads share
 * (processMonotonicMs in the brain): the worker's wall clock against this thread's (possibly fake)
 * Clock, or two threads' performance.now(), would measure the difference of two clocks instead.
 * AgentRegistry.discount takes `stalledMsNow` (liveness does not count this time as silence).
 */
export class HandoverLag {
  readonly #now: () => number;
  #delayMs = 0;
  #workerStalledMs = 0;
  #pausedMs = 0;
  #pausedSince: number | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A flush the worker sent at `sentAtMs` is being applied; `workerStalledMs`: its stalls so far. */
  applied(sentAtMs: number, workerStalledMs: number): void {
    this.#delayMs = Math.max(0, this.#now() - sentAtMs);
    this.#workerStalledMs = workerStalledMs;
  }

  /** The worker stopped (`paused`) or resumed reading streams at `atMs`. */
  pressure(paused: boolean, atMs: number): void {
    if (paused) this.#pausedSince ??= atMs;
    else if (this.#pausedSince !== undefined) {
      this.#pausedMs += Math.max(0, atMs - this.#pausedSince);
      this.#pausedSince = undefined;
    }
  }

  /** How late the last flush was applied, ms. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** What liveness discounts: a level that falls back as the hand-over catches up (see AgentRegistry.discount). */
  stalledMsNow(): number {
    const pausing = this.#pausedSince === undefined ? 0 : Math.max(0, this.#now() - this.#pausedSince);
    return this.#workerStalledMs + this.#delayMs + this.#pausedMs + pausing;
  }
}
