/**
 * Latency histogram with log-linear buckets (16 per power of two, ~6 % resolution) over
 * microseconds: constant memory, O(1) record, so every delivered update can be measured.
 */
const SUB_BUCKETS = 16;
const MAX_POWER = 40; // 2^40 µs ≈ 12 days: nothing real is larger

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  #counts = new Float64Array(MAX_POWER * SUB_BUCKETS + SUB_BUCKETS);
  #count = 0;
  #max = 0;
  /** Negative samples mean clocks disagree; they are counted, never hidden in bucket 0. */
  negative = 0;

  get count(): number {
    return this.#count;
  }

  record(us: number): void {
    if (us < 0) {
      this.negative++;
      us = 0;
    }
    this.#counts[bucketOf(us)]!++;
    this.#count++;
    if (us > this.#max) this.#max = us;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#max = Math.max(this.#max, other.#max);
    this.negative += other.negative;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
    this.negative = 0;
  }

  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.#count);
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperBoundOf(i), this.#max);
    }
    return this.#max;
  }

  summary(): Percentiles {
    return { count: this.#count, p50: this.percentile(50), p99: this.percentile(99), p999: this.percentile(99.9), max: this.#max };
  }
}

/** Integer arithmetic only: this runs for every update at every desk (a million a second in the benchmark's desk process). */
function bucketOf(us: number): number {
  if (us >= 2 ** 31) return slowBucketOf(us);
  const v = us | 0;
  if (v < SUB_BUCKETS) return v;
  const power = 27 - Math.clz32(v); // log2(v) - 4
  return ((power + 1) << 4) + ((v >>> power) - SUB_BUCKETS);
}

function slowBucketOf(us: number): number {
  const power = Math.min(MAX_POWER - 1, Math.floor(Math.log2(us)) - 4);
  const sub = Math.floor(us / 2 ** power) - SUB_BUCKETS;
  return power * SUB_BUCKETS + SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1);
}

function upperBoundOf(bucket: number): number {
  if (bucket < SUB_BUCKETS) return bucket;
  const power = Math.floor((bucket - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (bucket - SUB_BUCKETS) % SUB_BUCKETS;
  return (SUB_BUCKETS + sub + 1) * 2 ** power - 1;
}

/**
 * A rolling window: percentiles of the last completed window, so health reports recent latency;
 * and the run's totals, split at the end of a declared warm-up (start-up: JIT, first bursts).
 * A sample is recorded once, in the current window, which joins the totals when it closes.
 */
export class WindowedLatency {
  /** Closed windows since the end of the warm-up (the whole run when none was declared). */
  readonly #total = new LatencyHistogram();
  readonly #warmup = new LatencyHistogram();
  #current = new LatencyHistogram();
  #previous = new LatencyHistogram();

  record(us: number): void {
    this.#current.record(us);
  }

  /** Closes the window; returns the percentiles of the window just closed (or the one before if empty). */
  roll(): Percentiles {
    if (this.#current.count > 0) {
      this.#total.merge(this.#current);
      [this.#previous, this.#current] = [this.#current, this.#previous];
      this.#current.reset();
    }
    return this.#previous.summary();
  }

  /** What was measured so far was warm-up: kept apart, and the totals start over. */
  markSteadyState(): void {
    this.#warmup.merge(this.#total);
    this.#warmup.merge(this.#current);
    this.#total.reset();
    this.#current.reset();
  }

  /** For a summary line: steady state, and when a warm-up was declared, it and the whole run too. */
  summaries(): Record<string, Percentiles> {
    const steady = merged(this.#total, this.#current);
    if (this.#warmup.count === 0) return { latency_us: steady.summary() };
    return {
      latency_us: steady.summary(),
      latency_warmup_us: this.#warmup.summary(),
      latency_whole_run_us: merged(steady, this.#warmup).summary(),
    };
  }
}

function merged(a: LatencyHistogram, b: LatencyHistogram): LatencyHistogram {
  const h = new LatencyHistogram();
  h.merge(a);
  h.merge(b);
  return h;
}
