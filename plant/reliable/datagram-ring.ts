/**
 * The bounded retransmission ring: whole datagrams kept by their first sequence number, so a
 * NAK is answered by resending the datagrams already built, not by re-encoding records.
 *
 * The bytes live in one preallocated slab written circularly, and each entry's seq, count,
 * offset and length in typed arrays: keeping a datagram allocates nothing. (It used to keep one
 * Buffer and one entry object per datagram: at 100,000 updates/s to 10 desks the primary ticker
 * plant held 80,000 of them, ~700 MB of ArrayBuffers, and allocated 50 MB/s more; V8 answered
 * that external-memory pressure with a mark-compact every few hundred ms, each a stall of
 * 5–25 ms, most of the plant's latency tail.) Oldest entries are evicted first, by count or
 * when the slab needs their bytes; a NAK for an evicted range is an unrecoverable gap.
 */
export interface RingEntry {
  seq: number;
  count: number;
  /** A view of the slab: valid until the ring overwrites it, so send it at once, never keep it. */
  datagram: Buffer;
}

export class DatagramRing {
  readonly #slab: Buffer;
  readonly #seq: Float64Array;
  readonly #count: Uint32Array;
  readonly #offset: Uint32Array;
  readonly #length: Uint32Array;
  #head = 0; // index of the oldest entry
  #size = 0;
  #writeAt = 0;
  #evictedRecords = 0;

  /**
   * `capacity` datagrams in at most `slabBytes` (raised to hold at least two of the largest
   * datagram, `maxDatagramBytes`, so one push never evicts everything).
   */
  constructor(
    readonly capacity: number,
    slabBytes: number,
    maxDatagramBytes: number,
  ) {
    if (capacity < 1) throw new RangeError('ring capacity must be at least 1');
    this.#slab = Buffer.allocUnsafeSlow(Math.max(slabBytes, 2 * maxDatagramBytes));
    this.#seq = new Float64Array(capacity);
    this.#count = new Uint32Array(capacity);
    this.#offset = new Uint32Array(capacity);
    this.#length = new Uint32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }
  /** Records pushed out by newer ones: the retransmission window's cost, always counted. */
  get evictedRecords(): number {
    return this.#evictedRecords;
  }
  get oldestSeq(): number | undefined {
    return this.#size > 0 ? this.#seq[this.#head] : undefined;
  }
  get nextSeq(): number | undefined {
    if (this.#size === 0) return undefined;
    const last = this.#slot(this.#size - 1);
    return this.#seq[last]! + this.#count[last]!;
  }

  /**
   * Takes `bytes` of the slab for the datagram of records [seq, seq + count) and returns them
   * for the caller to fill at once (before anything else is pushed).
   */
  reserve(seq: number, count: number, bytes: number): Buffer {
    if (bytes > this.#slab.length) throw new RangeError(`datagram of ${bytes} bytes exceeds the ring's slab`);
    if (this.#writeAt + bytes > this.#slab.length) {
      // The tail of the slab is too short: what lies there is the oldest data; start over at 0.
      while (this.#size > 0 && this.#offset[this.#head]! >= this.#writeAt) this.#evictOldest();
      this.#writeAt = 0;
    }
    const from = this.#writeAt;
    const to = from + bytes;
    while (this.#size > 0 && (this.#size === this.capacity || this.#overlaps(this.#head, from, to))) this.#evictOldest();
    const slot = this.#slot(this.#size);
    this.#seq[slot] = seq;
    this.#count[slot] = count;
    this.#offset[slot] = from;
    this.#length[slot] = bytes;
    this.#size++;
    this.#writeAt = to;
    return this.#slab.subarray(from, to);
  }

  /** Keeps a copy of `datagram` (records [seq, seq + count)). */
  push(seq: number, count: number, datagram: Buffer): void {
    datagram.copy(this.reserve(seq, count, datagram.length));
  }

  /** Entries overlapping [from, to], oldest first. */
  overlapping(from: number, to: number): RingEntry[] {
    const out: RingEntry[] = [];
    for (let i = this.#firstEndingAfter(from); i < this.#size; i++) {
      const s = this.#slot(i);
      const seq = this.#seq[s]!;
      if (seq > to) break;
      const at = this.#offset[s]!;
      out.push({ seq, count: this.#count[s]!, datagram: this.#slab.subarray(at, at + this.#length[s]!) });
    }
    return out;
  }

  #slot(i: number): number {
    return (this.#head + i) % this.capacity;
  }

  #overlaps(slot: number, from: number, to: number): boolean {
    const at = this.#offset[slot]!;
    return at < to && at + this.#length[slot]! > from;
  }

  #evictOldest(): void {
    this.#evictedRecords += this.#count[this.#head]!;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
  }

  /** Binary search: first entry whose last seq is >= from. */
  #firstEndingAfter(from: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#slot(mid);
      if (this.#seq[s]! + this.#count[s]! - 1 < from) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
