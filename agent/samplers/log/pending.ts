/**
 * Requests awaiting their response (round-trip rules), bounded in size and age. Map order is
 * insertion order, so the oldest entries are always at the front: expiry and eviction are O(1).
 */
interface Pending {
  startUs: number;
  insertedMs: number;
}

export class PendingTable {
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #map = new Map<string, Pending>();
  #checkedMs = NaN;
  /** Evicted because the table was full. */
  evicted = 0;
  /** Never answered within the timeout. */
  expired = 0;

  constructor(max: number, timeoutMs: number) {
    this.#max = max;
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#map.size;
  }

  add(key: string, startUs: number, nowMs: number): void {
    this.expire(nowMs);
    this.#map.delete(key); // a re-sent id restarts its wait and moves to the back
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
      this.evicted++;
    }
    this.#map.set(key, { startUs, insertedMs: nowMs });
  }

  /** The request's start time, removed from the table; undefined when unknown or expired. */
  take(key: string, nowMs: number): number | undefined {
    const p = this.#map.get(key);
    if (!p) return undefined;
    this.#map.delete(key);
    if (nowMs - p.insertedMs > this.#timeoutMs) {
      this.expired++;
      return undefined;
    }
    return p.startUs;
  }

  expire(nowMs: number): void {
    // Within one millisecond nothing new can expire (a batch calls this once per request).
    if (nowMs === this.#checkedMs) return;
    this.#checkedMs = nowMs;
    for (const [key, p] of this.#map) {
      if (nowMs - p.insertedMs <= this.#timeoutMs) return;
      this.#map.delete(key);
      this.expired++;
    }
  }
}
