/**
 * Host-monotonic microseconds (CLOCK_MONOTONIC), comparable between processes on one host.
 * Wall-clock µs derived per process drift apart by milliseconds, which would swamp the
 * sub-millisecond end-to-end latencies the plant measures; this clock does not.
 */
export function hostMonoUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}
