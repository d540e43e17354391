/**
 * Per-second rates of kernel counters between two samples, on the injected monotonic clock.
 * A counter that went backwards was reset (interface re-created, driver reload, 32-bit wrap):
 * the new value is taken as the increase since the reset, as Prometheus' rate() does.
 */
export class RateTracker {
  readonly #last = new Map<string, { value: number; atMs: number }>();
  #seen = new Set<string>();

  /** Units per second since the previous call for this key; undefined on the first call. */
  rate(key: string, value: number, atMs: number): number | undefined {
    this.#seen.add(key);
    const prev = this.#last.get(key);
    this.#last.set(key, { value, atMs });
    if (!prev) return undefined;
    const dtMs = atMs - prev.atMs;
    if (dtMs <= 0) return undefined;
    const delta = value >= prev.value ? value - prev.value : value;
    return (delta * 1000) / dtMs;
  }

  /** Forgets keys not rated since the last prune, so vanished series do not accumulate. */
  prune(): void {
    for (const key of this.#last.keys()) if (!this.#seen.has(key)) this.#last.delete(key);
    this.#seen = new Set();
  }

  get size(): number {
    return this.#last.size;
  }
}
