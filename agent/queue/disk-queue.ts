/**
 * The agent's bounded, ordered, on-disk queue of encoded sample batches (issue #2, item 3).
 *
 * - append() writes the record with a synchronous write before returning, so a batch survives
 *   a SIGKILL of the agent the moment it is queued (fsync on an interval covers power loss).
 * - ack(upto) forgets every record at or below `upto`; whole segments are deleted once acked.
 * - When the byte bound is reached the OLDEST segment is dropped and the loss is counted
 *   (droppedBatches/droppedSamples travel to the brain in every later batch): never silent.
 * - The next batch seq and cumulative sample count survive restarts even when the queue is
 *   empty (meta.json is written before any segment is deleted).
 *
 * Record layout: u32 length of payload | u32 crc32(header+payload) | f64 seq | f64 cumulative |
 * u32 samples | payload. A torn last record (crash mid-write) fails its CRC and is cut off.
 */
import { closeSync, existsSync, readSync, fsync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER = 4 + 4 + 8 + 8 + 4;

export interface QueuedBatch {
  seq: number;
  samples: number;
  payload: Uint8Array;
}

interface RecordRef {
  seq: number;
  samples: number;
  segment: Segment;
  offset: number;
  length: number;
  /** Kept while the queue's in-memory cache allows; otherwise read back from disk. */
  payload?: Uint8Array;
}

interface Segment {
  file: string;
  bytes: number;
  records: number;
}

export interface DiskQueueOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
  /** Bytes of payload kept in memory for replay without a disk read. */
  cacheBytes?: number;
}

export interface QueueStats {
  pendingBatches: number;
  pendingBytes: number;
  droppedBatches: number;
  droppedSamples: number;
  nextSeq: number;
  cumulativeSamples: number;
}

export class DiskQueue {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #cacheBytes: number;
  #segments: Segment[] = [];
  #records: RecordRef[] = [];
  #head = 0; // index of the first live record in #records (compacted lazily)
  #active: { segment: Segment; fd: number } | undefined;
  #cachedBytes = 0;
  #pendingBytes = 0;
  #nextSeq = 1;
  #cumulativeSamples = 0;
  #droppedBatches = 0;
  #droppedSamples = 0;
  #dirty = false;

  constructor(opts: DiskQueueOptions) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#segmentBytes = opts.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
    this.#cacheBytes = opts.cacheBytes ?? 16 * 1024 * 1024;
    mkdirSync(this.#dir, { recursive: true });
    this.#recover();
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }
  get cumulativeSamples(): number {
    return this.#cumulativeSamples;
  }
  get droppedBatches(): number {
    return this.#droppedBatches;
  }
  get droppedSamples(): number {
    return this.#droppedSamples;
  }

  stats(): QueueStats {
    return {
      pendingBatches: this.#records.length - this.#head,
      pendingBytes: this.#pendingBytes,
      droppedBatches: this.#droppedBatches,
      droppedSamples: this.#droppedSamples,
      nextSeq: this.#nextSeq,
      cumulativeSamples: this.#cumulativeSamples,
    };
  }

  /**
   * Reserves the next seq and the cumulative count for a batch of `samples`; the caller encodes
   * the batch with them and passes the bytes to append().
   */
  reserve(samples: number): { seq: number; cumulativeSamples: number } {
    return { seq: this.#nextSeq, cumulativeSamples: this.#cumulativeSamples + samples };
  }

  append(seq: number, cumulativeSamples: number, samples: number, payload: Uint8Array): void {
    if (seq !== this.#nextSeq) throw new Error(`queue append out of order: ${seq}, expected ${this.#nextSeq}`);
    const record = Buffer.allocUnsafe(HEADER + payload.length);
    record.writeUInt32LE(payload.length, 0);
    record.writeDoubleLE(seq, 8);
    record.writeDoubleLE(cumulativeSamples, 16);
    record.writeUInt32LE(samples, 24);
    record.set(payload, HEADER);
    record.writeUInt32LE(crc32(record.subarray(8)), 4);
    this.#makeRoom(record.length);
    const active = this.#activeSegment(record.length);
    writeSync(active.fd, record, 0, record.length, active.segment.bytes);
    const ref: RecordRef = { seq, samples, segment: active.segment, offset: active.segment.bytes + HEADER, length: payload.length };
    if (this.#cachedBytes + payload.length <= this.#cacheBytes) {
      ref.payload = payload;
      this.#cachedBytes += payload.length;
    }
    active.segment.bytes += record.length;
    active.segment.records++;
    this.#records.push(ref);
    this.#pendingBytes += record.length;
    this.#nextSeq = seq + 1;
    this.#cumulativeSamples = cumulativeSamples;
    this.#dirty = true;
  }

  /** Pending batches with seq > afterSeq, oldest first (read from disk when not cached). */
  *after(afterSeq: number): Generator<QueuedBatch> {
    for (let i = this.#head; i < this.#records.length; i++) {
      const r = this.#records[i]!;
      if (r.seq <= afterSeq) continue;
      yield { seq: r.seq, samples: r.samples, payload: r.payload ?? this.#read(r) };
    }
  }

  /** The brain has stored everything up to and including `upto`. */
  ack(upto: number): void {
    while (this.#head < this.#records.length && this.#records[this.#head]!.seq <= upto) {
      const r = this.#records[this.#head]!;
      this.#forget(r);
      this.#head++;
    }
    this.#compact();
    this.#deleteFinishedSegments();
  }

  /**
   * fsync the active segment (called on an interval by the agent, and at shutdown). Skipped when
   * every batch is already acknowledged: the brain holds them, so a power loss cannot lose them,
   * and a healthy agent (acks within milliseconds) then never fsyncs — an fsync is a journal
   * commit in the kernel plus a thread-pool round trip, the largest cost of an idle second.
   */
  sync(done?: () => void): void {
    if (this.#records.length === this.#head) this.#dirty = false;
    if (!this.#active || !this.#dirty) return done?.();
    this.#dirty = false;
    fsync(this.#active.fd, () => done?.());
  }

  close(): void {
    this.#writeMeta();
    if (this.#active) closeSync(this.#active.fd);
    this.#active = undefined;
  }

  #forget(r: RecordRef): void {
    if (r.payload) this.#cachedBytes -= r.payload.length;
    r.payload = undefined;
    this.#pendingBytes -= r.length + HEADER;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }

  #read(r: RecordRef): Uint8Array {
    const fd = openSync(join(this.#dir, r.segment.file), 'r');
    try {
      const buf = Buffer.allocUnsafe(r.length);
      readSync(fd, buf, 0, r.length, r.offset);
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  #activeSegment(need: number): { segment: Segment; fd: number } {
    if (this.#active && this.#active.segment.bytes + need <= this.#segmentBytes) return this.#active;
    if (this.#active) closeSync(this.#active.fd);
    const file = `seg-${String(this.#nextSeq).padStart(16, '0')}.q`;
    const segment: Segment = { file, bytes: 0, records: 0 };
    this.#segments.push(segment);
    this.#active = { segment, fd: openSync(join(this.#dir, file), 'w') };
    return this.#active;
  }

  /** Drops the oldest segments until `need` more bytes fit in the bound. */
  #makeRoom(need: number): void {
    while (this.#pendingBytes + need > this.#maxBytes && this.#records.length > this.#head) {
      const oldest = this.#records[this.#head]!.segment;
      while (this.#head < this.#records.length && this.#records[this.#head]!.segment === oldest) {
        const r = this.#records[this.#head]!;
        this.#droppedBatches++;
        this.#droppedSamples += r.samples;
        this.#forget(r);
        this.#head++;
      }
      if (this.#active?.segment === oldest) {
        closeSync(this.#active.fd);
        this.#active = undefined;
      }
    }
    this.#compact();
    this.#deleteFinishedSegments();
  }

  #deleteFinishedSegments(): void {
    const live = new Set<Segment>();
    for (let i = this.#head; i < this.#records.length; i++) live.add(this.#records[i]!.segment);
    if (live.size === 0 && this.#active && this.#active.segment.bytes >= this.#segmentBytes / 2) {
      // Everything is acknowledged and the active segment is well used: let it go too (meta
      // keeps the seq). A small one is kept, or a 1 s agent would rewrite files every second.
      closeSync(this.#active.fd);
      this.#active = undefined;
    }
    const done = this.#segments.filter((s) => !live.has(s) && s !== this.#active?.segment);
    if (done.length === 0) return;
    this.#writeMeta();
    for (const s of done) {
      try {
        unlinkSync(join(this.#dir, s.file));
      } catch {
        // already gone: nothing to free
      }
    }
    this.#segments = this.#segments.filter((s) => !done.includes(s));
  }

  #writeMeta(): void {
    const meta = {
      nextSeq: this.#nextSeq,
      cumulativeSamples: this.#cumulativeSamples,
      droppedBatches: this.#droppedBatches,
      droppedSamples: this.#droppedSamples,
    };
    const tmp = join(this.#dir, 'meta.json.tmp');
    writeFileSync(tmp, JSON.stringify(meta));
    renameSync(tmp, join(this.#dir, 'meta.json'));
  }

  #recover(): void {
    const metaFile = join(this.#dir, 'meta.json');
    if (existsSync(metaFile)) {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Partial<QueueStats>;
      this.#nextSeq = meta.nextSeq ?? 1;
      this.#cumulativeSamples = meta.cumulativeSamples ?? 0;
      this.#droppedBatches = meta.droppedBatches ?? 0;
      this.#droppedSamples = meta.droppedSamples ?? 0;
    }
    const files = readdirSync(this.#dir).filter((f) => /^seg-\d+\.q$/.test(f)).sort();
    for (const file of files) this.#recoverSegment(file);
  }

  #recoverSegment(file: string): void {
    const path = join(this.#dir, file);
    const data = readFileSync(path);
    const segment: Segment = { file, bytes: 0, records: 0 };
    let pos = 0;
    while (pos + HEADER <= data.length) {
      const length = data.readUInt32LE(pos);
      if (pos + HEADER + length > data.length) break;
      if (crc32(data.subarray(pos + 8, pos + HEADER + length)) !== data.readUInt32LE(pos + 4)) break;
      const seq = data.readDoubleLE(pos + 8);
      const cumulative = data.readDoubleLE(pos + 16);
      const samples = data.readUInt32LE(pos + 24);
      this.#records.push({ seq, samples, segment, offset: pos + HEADER, length });
      this.#pendingBytes += HEADER + length;
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      this.#cumulativeSamples = Math.max(this.#cumulativeSamples, cumulative);
      pos += HEADER + length;
      segment.records++;
    }
    if (pos < statSync(path).size) {
      // A torn tail from a crash mid-write: cut it so later appends are not hidden behind it.
      const fd = openSync(path, 'r+');
      ftruncateSync(fd, pos);
      closeSync(fd);
    }
    segment.bytes = pos;
    if (segment.records === 0) {
      unlinkSync(path);
      return;
    }
    this.#segments.push(segment);
  }
}
