/**
 * The bounded retransmission ring: whole datagrams kept by their first sequence number, so a
 * NAK is answered by resending the datagrams already built, not by re-encoding records.
 * Oldest entries are evicted first; a NAK for an evicted range is an unrecoverable gap.
 */
export interface RingEntry {
  seq: number;
  count: number;
  datagram: Buffer;
}

export class DatagramRing {
  readonly #entries: (RingEntry | undefined)[];
  #head = 0; // index of the oldest entry
  #size = 0;
  #evictedRecords = 0;

  constructor(readonly capacity: number) {
    if (capacity < 1) throw new RangeError('ring capacity must be at least 1');
    this.#entries = new Array<RingEntry | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }
  /** Records pushed out by newer ones: the retransmission window's cost, always counted. */
  get evictedRecords(): number {
    return this.#evictedRecords;
  }
  get oldestSeq(): number | undefined {
    return this.#at(0)?.seq;
  }
  get nextSeq(): number | undefined {
    const last = this.#at(this.#size - 1);
    return last ? last.seq + last.count : undefined;
  }

  push(entry: RingEntry): void {
    if (this.#size === this.capacity) {
      this.#evictedRecords += this.#at(0)?.count ?? 0;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size--;
    }
    this.#entries[(this.#head + this.#size) % this.capacity] = entry;
    this.#size++;
  }

  /** Entries overlapping [from, to], oldest first. */
  overlapping(from: number, to: number): RingEntry[] {
    const out: RingEntry[] = [];
    for (let i = this.#firstEndingAfter(from); i < this.#size; i++) {
      const e = this.#at(i);
      if (!e || e.seq > to) break;
      out.push(e);
    }
    return out;
  }

  #at(i: number): RingEntry | undefined {
    return i < 0 || i >= this.#size ? undefined : this.#entries[(this.#head + i) % this.capacity];
  }

  /** Binary search: first entry whose last seq is >= from. */
  #firstEndingAfter(from: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#at(mid);
      if (e && e.seq + e.count - 1 < from) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
