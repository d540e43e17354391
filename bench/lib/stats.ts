/** Percentiles and table cells for latency benchmarks (values in µs, printed in ms). */

/** µs → ms text: one decimal under 100 ms. */
export const ms = (us: number) => (us / 1000).toFixed(Math.abs(us) < 100_000 ? 1 : 0);

/** Nearest-rank percentile (p99 of 20 samples is the max). */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** "p50 | p99 | max" in ms, or dashes for no samples. */
export function stat(xs: readonly number[], sep = ' | '): string {
  return xs.length ? [pct(xs, 50), pct(xs, 99), Math.max(...xs)].map(ms).join(sep) : ['–', '–', '–'].join(sep);
}
