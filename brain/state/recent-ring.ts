/**
 * The last minutes of a few series per host, in the brain's memory, for the wall board's short
 * charts (NIC traffic, dirty memory against writes, wrapped processes' CPU and memory). One ring
 * per charted series: a fixed number of fixed-width steps, the latest sample of each step kept,
 * a step without a sample left empty (NaN). Float32, so a series costs a few hundred bytes, and
 * the table charts at most `limits.max_charted_series` of them (the rest are counted, not kept).
 */

/** Width of one step of a chart. */
export const RECENT_STEP_MS = 5_000;
/** Steps kept: 10 minutes at 5 s. */
export const RECENT_STEPS = 120;

/** measurement → the fields charted for it (rates and levels, never raw counters). */
export const CHARTED: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['nic', new Set(['rx_bytes_per_s', 'tx_bytes_per_s'])],
  ['bond', new Set(['slaves_up'])],
  ['memory', new Set(['dirty_bytes', 'writeback_bytes', 'written_bytes_per_s'])],
  ['disk', new Set(['write_bytes_per_s'])],
  ['process', new Set(['cpu_percent', 'rss_bytes'])],
  ['process_watch', new Set(['cpu_percent', 'rss_bytes'])],
]);

export function isCharted(measurement: string, field: string): boolean {
  return CHARTED.get(measurement)?.has(field) === true;
}

export interface RecentPoints {
  /** Start of the oldest step, ms since the epoch. */
  start_ms: number;
  step_ms: number;
  /** Oldest first; null where a step had no sample. */
  values: (number | null)[];
}

export class RecentRing {
  readonly #values = new Float32Array(RECENT_STEPS).fill(NaN);
  /** The step number (time / step) of the newest slot; -1 before the first sample. */
  #head = -1;

  add(timeUs: number, value: number): void {
    const step = Math.floor(timeUs / 1000 / RECENT_STEP_MS);
    if (this.#head < 0) {
      this.#head = step;
    } else if (step > this.#head) {
      // Steps skipped since the last sample are empty, not the last value carried on.
      const skipped = Math.min(step - this.#head, RECENT_STEPS);
      for (let i = 1; i <= skipped; i++) this.#values[(this.#head + i) % RECENT_STEPS] = NaN;
      this.#head = step;
    } else if (step <= this.#head - RECENT_STEPS) {
      return; // older than the ring
    }
    this.#values[step % RECENT_STEPS] = value;
  }

  /** The ring as of `nowMs`: steps after the newest sample show as empty. */
  points(nowMs: number): RecentPoints {
    // An agent whose clock runs a little ahead still shows its newest steps.
    const brainStep = Math.floor(nowMs / RECENT_STEP_MS);
    const nowStep = this.#head > brainStep && this.#head - brainStep < RECENT_STEPS ? this.#head : brainStep;
    const first = nowStep - RECENT_STEPS + 1;
    const values: (number | null)[] = [];
    for (let step = first; step <= nowStep; step++) {
      const v = step <= this.#head && step > this.#head - RECENT_STEPS ? this.#values[step % RECENT_STEPS]! : NaN;
      values.push(Number.isFinite(v) ? v : null);
    }
    return { start_ms: first * RECENT_STEP_MS, step_ms: RECENT_STEP_MS, values };
  }
}
