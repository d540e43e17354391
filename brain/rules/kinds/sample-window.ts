/**
 * Recent samples per series, for rates and increases over a window. The SeriesTable keeps only
 * the latest value, so a rule that needs history records what it saw at each evaluation.
 * Bounded: points per series and series per rule, the oldest dropped first.
 */
import { cachedLabelsKey, type Labels } from '../../../lib/labels.js';

const MAX_POINTS = 1024;
const MAX_SERIES = 50_000;

interface Track {
  labels: Labels;
  times: number[];
  values: number[];
}

export class SampleWindows {
  readonly #tracks = new Map<string, Track>();
  readonly #windowMs: number;
  dropped = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records a sample (once per timestamp) and forgets what fell out of the window. */
  record(labels: Labels, atMs: number, value: number, now: number): void {
    const key = cachedLabelsKey(labels);
    let t = this.#tracks.get(key);
    if (!t) {
      if (this.#tracks.size >= MAX_SERIES) {
        this.dropped++;
        return;
      }
      t = { labels, times: [], values: [] };
      this.#tracks.set(key, t);
    }
    const lastAt = t.times[t.times.length - 1];
    if (lastAt === undefined || atMs > lastAt) {
      t.times.push(atMs);
      t.values.push(value);
      if (t.times.length > MAX_POINTS) this.#shift(t);
    }
    while (t.times.length > 0 && t.times[0]! < now - this.#windowMs) this.#shift(t);
    if (t.times.length === 0) this.#tracks.delete(key);
  }

  /**
   * The increase over the window and the time it spans; a counter that went down was reset,
   * so its new value counts as the increase (as the samplers' `_per_s` rates do).
   */
  increase(labels: Labels, counter: boolean): { delta: number; spanMs: number } | undefined {
    const t = this.#tracks.get(cachedLabelsKey(labels));
    if (!t || t.times.length < 2) return undefined;
    let delta = 0;
    for (let i = 1; i < t.values.length; i++) {
      const d = t.values[i]! - t.values[i - 1]!;
      delta += counter && d < 0 ? t.values[i]! : d;
    }
    return { delta, spanMs: t.times[t.times.length - 1]! - t.times[0]! };
  }

  #shift(t: Track): void {
    t.times.shift();
    t.values.shift();
  }
}
