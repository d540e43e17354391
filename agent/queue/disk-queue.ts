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
 * - A full or failing disk (ENOSPC, EIO) makes append() throw the errno error with nothing
 *   recorded: the partial record is cut off, the segment is left, and the next append starts a
 *   new segment (the caller, agent/queue/holding-queue.ts, holds the batch and retries). Every
 *   other write (meta.json, a fsync, a delete) never throws: it is counted on the DiskHealth and
 *   what depends on it waits (an acknowledged segment is kept while meta.json cannot be written,
 *   so the seq it ends with is never forgotten).
 *
 * Record layout: u32 length of payload | u32 crc32(header+payload) | f64 seq | f64 cumulative |
 * u32 samples | payload. A torn last record (crash mid-write) fails its CRC and is cut off.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DiskHealth } from '../../lib/disk-health.js';
import { systemClock } from '../../lib/clock.js';
import { ensureStateDir, fsyncDir, OPEN, openStateFile, realFs, writeFileAtomic, writeFully, type StateFs } from '../../lib/state-files.js';

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
  /** The file calls (node:fs; tests inject ENOSPC/EIO). */
  fs?: StateFs;
  /** Where failed calls are counted and a failed fsync reported (default: a health of its own). */
  health?: DiskHealth;
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
  readonly #fs: StateFs;
  readonly health: DiskHealth;
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
    this.#fs = opts.fs ?? realFs;
    this.health = opts.health ?? new DiskHealth('queue', systemClock);
    ensureStateDir(this.#dir, { own: true, fs: this.#fs });
    this.#recover();
  }

  get dir(): string {
    return this.#dir;
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
    try {
      writeFully(active.fd, record, active.segment.bytes, this.#fs);
    } catch (err) {
      this.#abandonActive();
      throw err;
    }
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
    const segment = this.#active.segment;
    this.#fs.fsync(this.#active.fd, (err) => {
      if (err) {
        // Never ignored: the pages may be gone, so nothing in this segment counts as synced;
        // later appends go to a new segment, and the health says the disk is failing.
        this.health.failed(join(this.#dir, segment.file), err);
        if (this.#active?.segment === segment) this.#abandonActive();
        this.#dirty = true;
      }
      done?.();
    });
  }

  close(): void {
    this.#writeMeta();
    if (this.#active) this.#close(this.#active.fd);
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
    const fd = this.#fs.openSync(join(this.#dir, r.segment.file), 'r');
    try {
      const buf = Buffer.allocUnsafe(r.length);
      this.#fs.readSync(fd, buf, 0, r.length, r.offset);
      return buf;
    } finally {
      this.#fs.closeSync(fd);
    }
  }

  #activeSegment(need: number): { segment: Segment; fd: number } {
    if (this.#active && this.#active.segment.bytes + need <= this.#segmentBytes) return this.#active;
    if (this.#active) this.#close(this.#active.fd);
    this.#active = undefined;
    const file = `seg-${String(this.#nextSeq).padStart(16, '0')}.q`;
    const segment: Segment = { file, bytes: 0, records: 0 };
    // A segment left by a failed append may have this name (same nextSeq): it holds no record.
    const fd = openStateFile(join(this.#dir, file), OPEN.create, this.#fs);
    this.#segments = this.#segments.filter((s) => s.file !== file);
    this.#segments.push(segment);
    this.#active = { segment, fd };
    try {
      fsyncDir(this.#dir, this.#fs);
    } catch (err) {
      this.health.count(err); // the records are fsync'ed on the interval; the entry may lag
    }
    return this.#active;
  }

  /**
   * A write to the active segment failed: cut what it left past the last whole record (best
   * effort: recovery cuts a torn tail anyway), close it, and send later appends to a new segment,
   * never trusting the fd a failed write or fsync went through. A segment left empty is deleted.
   */
  #abandonActive(): void {
    const active = this.#active;
    if (!active) return;
    this.#active = undefined;
    try {
      this.#fs.ftruncateSync(active.fd, active.segment.bytes);
    } catch (err) {
      this.health.count(err);
    }
    this.#close(active.fd);
    if (active.segment.records === 0) {
      this.#segments = this.#segments.filter((s) => s !== active.segment);
      this.#unlink(active.segment.file);
    }
  }

  #close(fd: number): void {
    try {
      this.#fs.closeSync(fd);
    } catch (err) {
      this.health.count(err);
    }
  }

  #unlink(file: string): void {
    try {
      this.#fs.unlinkSync(join(this.#dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.health.count(err);
    }
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
        this.#close(this.#active.fd);
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
      this.#close(this.#active.fd);
      this.#active = undefined;
    }
    let done = this.#segments.filter((s) => !live.has(s) && s !== this.#active?.segment);
    if (done.length === 0) return;
    if (!this.#writeMeta()) {
      // meta.json (the seq once the queue is empty) could not be written (a full disk): the
      // newest segment stays, so a restart still finds the newest seq in it. Deleting the older
      // ones is what gives the disk back its space.
      const newest = this.#segments[this.#segments.length - 1];
      done = done.filter((s) => s !== newest);
    }
    for (const s of done) this.#unlink(s.file);
    this.#segments = this.#segments.filter((s) => !done.includes(s));
  }

  /** meta.json, atomically; false (counted) when the disk refuses. */
  #writeMeta(): boolean {
    const meta = {
      nextSeq: this.#nextSeq,
      cumulativeSamples: this.#cumulativeSamples,
      droppedBatches: this.#droppedBatches,
      droppedSamples: this.#droppedSamples,
    };
    try {
      writeFileAtomic(join(this.#dir, 'meta.json'), JSON.stringify(meta), this.#fs);
      return true;
    } catch (err) {
      this.health.count(err);
      return false;
    }
  }

  #recover(): void {
    const metaFile = join(this.#dir, 'meta.json');
    if (this.#fs.existsSync(metaFile)) {
      const meta = JSON.parse(this.#fs.readFileSync(metaFile, 'utf8')) as Partial<QueueStats>;
      this.#nextSeq = meta.nextSeq ?? 1;
      this.#cumulativeSamples = meta.cumulativeSamples ?? 0;
      this.#droppedBatches = meta.droppedBatches ?? 0;
      this.#droppedSamples = meta.droppedSamples ?? 0;
    }
    const files = this.#fs
      .readdirSync(this.#dir)
      .filter((f) => /^seg-\d+\.q$/.test(f))
      .sort();
    for (const file of files) this.#recoverSegment(file);
  }

  #recoverSegment(file: string): void {
    const path = join(this.#dir, file);
    const data = this.#fs.readFileSync(path);
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
    if (pos < data.length) {
      // A torn tail from a crash mid-write: cut it so later appends are not hidden behind it.
      try {
        this.#fs.truncateSync(path, pos);
      } catch (err) {
        this.health.count(err); // appends go to a new segment; the next start cuts it
      }
    }
    segment.bytes = pos;
    if (segment.records === 0) {
      this.#unlink(file);
      return;
    }
    this.#segments.push(segment);
  }
}
