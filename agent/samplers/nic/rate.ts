/**
 * Per-second rates of kernel counters between two samples, on the injected monotonic clock.
 * A counter that went backwards was reset (interface re-created, driver reload, 32-bit wrap):
 * the new value is taken as the increase since the reset, as Prometheus' rate() does.
 *
 * Keyed by (group, field), e.g. (interface, counter), so a sample builds no key string, and
 * each counter's last value is updated in place: this runs ~60 times a second.
 */
interface Last {
  value: number;
  atMs: number;
  /** The prune pass in which it was last rated. */
  pass: number;
}

export class RateTracker {
  readonly #groups = new Map<string, Map<string, Last>>();
  #pass = 0;

  /** Units per second since the previous call for this counter; undefined on the first call. */
  rate(group: string, field: string, value: number, atMs: number): number | undefined {
    let fields = this.#groups.get(group);
    if (!fields) this.#groups.set(group, (fields = new Map()));
    const last = fields.get(field);
    if (!last) {
      fields.set(field, { value, atMs, pass: this.#pass });
      return undefined;
    }
    const dtMs = atMs - last.atMs;
    const delta = value >= last.value ? value - last.value : value;
    last.value = value;
    last.atMs = atMs;
    last.pass = this.#pass;
    return dtMs > 0 ? (delta * 1000) / dtMs : undefined;
  }

  /** Forgets counters not rated since the last prune, so vanished series do not accumulate. */
  prune(): void {
    // forEach, not for..of: no [key, value] pair allocated per entry.
    this.#groups.forEach((fields, group) => {
      fields.forEach((last, field) => {
        if (last.pass !== this.#pass) fields.delete(field);
      });
      if (fields.size === 0) this.#groups.delete(group);
    });
    this.#pass++;
  }

  get size(): number {
    let n = 0;
    for (const fields of this.#groups.values()) n += fields.size;
    return n;
  }
}
