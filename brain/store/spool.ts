/**
 * The brain's durable spool: every accepted batch, as line protocol, appended to segment files
 * before it is acknowledged. It is what makes "nothing lost" true across brain restarts and
 * InfluxDB outages (issue #2, item 4): the forwarder drains it into the store at the store's
 * pace, so a slow InfluxDB costs disk, never brain memory.
 *
 * Appends are group-committed: everything appended while one write + fdatasync runs is
 * encoded into one buffer, written with the next write + fdatasync (both on libuv's thread
 * pool, off the event loop), and each append's promise resolves when its bytes are durable.
 *
 * A full or failing disk (ENOSPC, EDQUOT, EIO) stops nothing: the group that failed stays in
 * memory with its waiters unresolved (so nothing it holds is acknowledged), the spool reports it
 * through its DiskHealth, and retries on the Clock with backoff. A retry never trusts the failed
 * attempt: after a failed write or fdatasync the kernel may have dropped the dirty pages and a
 * later fdatasync would report success for data that is gone (PostgreSQL's "fsyncgate"), so the
 * fd is closed, the segment is cut back to its known durable length, and the group is written
 * again from memory through a fresh fd. Appends made meanwhile wait behind it; once `heldBytes`
 * reaches `maxHeldBytes`, `accepting` turns false and the ingest refuses batches (the agents keep
 * them in their own queues). When the disk takes writes again, everything held is written, in
 * order, and acknowledged.
 *
 * Record layout (brain/store/spool-record.ts): u32 payload length | u32 crc32(rest) | f64 seq | u32 lines | u16 agent id
 * length | agent id | payload (UTF-8 line protocol, '\n'-terminated lines).
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { systemClock } from '../../lib/clock.js';
import { DiskHealth } from '../../lib/disk-health.js';
import { ensureStateDir, fsyncDir, isNoSpace, OPEN, openStateFile, realFs, type StateFs } from '../../lib/state-files.js';
import { encodeSpoolRecord, SPOOL_RECORD_HEADER, spoolRecordSize } from './spool-record.js';

const FIXED_HEADER = SPOOL_RECORD_HEADER;

export interface SpoolRecord {
  agentId: string;
  seq: number;
  lines: number;
  payload: Buffer;
}

export interface SpoolPosition {
  segment: number;
  offset: number;
}

interface Segment {
  id: number;
  file: string;
  /** Bytes known durable (readable by the forwarder). */
  bytes: number;
  lines: number;
  /** No more appends (recovered from a previous run, full, or its tail could not be cut). */
  sealed: boolean;
  /** Its directory entry is fsync'ed (a new file's entry may vanish on power loss until then). */
  dirSynced: boolean;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: boolean;
  /**
   * Called before any segment file is deleted (the brain checkpoints its dedupe state); when it
   * throws, the segment is kept for a later attempt.
   */
  beforeDelete?: () => void;
  /** Bytes held in memory while the disk fails; beyond them `accepting` is false. Default 64 MiB. */
  maxHeldBytes?: number;
  health?: DiskHealth;
  fs?: StateFs;
}

/** The records of one group commit, encoded back to back; reused once written. */
class Group {
  buf = Buffer.allocUnsafe(1 << 20);
  used = 0;
  lines = 0;
  waiters: (() => void)[] = [];

  /** Room for `bytes` more; returns where they go. */
  claim(bytes: number): number {
    if (this.used + bytes > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    const at = this.used;
    this.used += bytes;
    return at;
  }

  clear(): void {
    this.used = 0;
    this.lines = 0;
    this.waiters = [];
  }
}

export class Spool {
  readonly #o: SpoolOptions;
  readonly #fs: StateFs;
  readonly #maxHeldBytes: number;
  readonly health: DiskHealth;
  #segments: Segment[] = [];
  #activeFd: number | undefined;
  /** Appends go here while `#writing` is written; the two swap at each flush. */
  #filling = new Group();
  #writing = new Group();
  #flushing = false;
  #scheduled = false;
  #closed = false;
  /** Lines dropped because the spool hit its byte bound (oldest first), counted, never silent. */
  droppedLines = 0;
  droppedSegments = 0;
  appendedLines = 0;
  #onDrop: ((segment: number) => void) | undefined;

  constructor(opts: SpoolOptions) {
    this.#o = opts;
    this.#fs = opts.fs ?? realFs;
    this.#maxHeldBytes = opts.maxHeldBytes ?? 64 * 1024 * 1024;
    this.health = opts.health ?? new DiskHealth('spool', systemClock);
    ensureStateDir(opts.dir, { own: true, fs: this.#fs });
  }

  /** Reads every intact record (recovery); cuts a torn tail. Call once, before appending. */
  recover(onRecord: (r: SpoolRecord, at: SpoolPosition) => void): void {
    const fs = this.#fs;
    const files = fs
      .readdirSync(this.#o.dir)
      .filter((f) => /^spool-\d+\.seg$/.test(f))
      .sort();
    for (const file of files) {
      const id = Number(file.slice(6, -4));
      const segment: Segment = { id, file, bytes: 0, lines: 0, sealed: true, dirSynced: true };
      const size = fs.statSync(join(this.#o.dir, file)).size;
      const end = this.#scan(
        segment,
        0,
        (r, offset) => {
          segment.lines += r.lines;
          onRecord(r, { segment: id, offset });
        },
        size,
      );
      if (end < size) fs.truncateSync(join(this.#o.dir, file), end);
      segment.bytes = end;
      this.#segments.push(segment);
    }
  }

  /** Called when the byte bound forces the oldest segment out (the forwarder skips past it). */
  onDrop(fn: (segment: number) => void): void {
    this.#onDrop = fn;
  }

  get bytes(): number {
    return this.#segments.reduce((n, s) => n + s.bytes, 0);
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Bytes appended but not yet durable: in memory, waiting for a write (or for the disk). */
  get heldBytes(): number {
    return this.#filling.used + (this.#flushing ? this.#writing.used : 0);
  }

  /**
   * False while the disk fails and `maxHeldBytes` are held: callers must not append (the ingest
   * refuses the batch, so the agent keeps it). Always true while the disk works.
   */
  get accepting(): boolean {
    return !this.health.failing || this.heldBytes < this.#maxHeldBytes;
  }

  /** Resolves once the record is durable (written, and fdatasync'd when fsync is on). */
  append(agentId: string, seq: number, lines: number, payload: Uint8Array | string): Promise<void> {
    const bodyLength = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    const g = this.#filling;
    const at = g.claim(spoolRecordSize(agentId, bodyLength));
    encodeSpoolRecord(g.buf, at, agentId, seq, lines, payload);
    g.lines += lines;
    return this.#durable(g);
  }

  /**
   * Appends records already encoded (`encodeSpoolRecord`, back to back: the ingest worker's
   * flush) holding `lines` lines in all, in one copy; resolves once all of them are durable. The
   * block is written as it is: whoever encoded it vouches for its records.
   */
  appendEncoded(records: Uint8Array, lines: number): Promise<void> {
    const g = this.#filling;
    const at = g.claim(records.length);
    g.buf.set(records, at);
    g.lines += lines;
    return this.#durable(g);
  }

  #durable(g: Group): Promise<void> {
    return new Promise((resolve) => {
      g.waiters.push(resolve);
      if (!this.#scheduled && !this.#flushing) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Reads records from `from` on, up to maxLines (at least one record), durable bytes only. */
  read(from: SpoolPosition, maxLines: number): { records: SpoolRecord[]; next: SpoolPosition } {
    const records: SpoolRecord[] = [];
    let lines = 0;
    let pos = { ...from };
    for (const segment of this.#segments) {
      if (segment.id < pos.segment) continue;
      if (segment.id > pos.segment) pos = { segment: segment.id, offset: 0 };
      const end = this.#scan(segment, pos.offset, (r, offset) => {
        if (lines > 0 && lines + r.lines > maxLines) return false;
        records.push(r);
        lines += r.lines;
        pos = { segment: segment.id, offset: offset + recordSize(r) };
        return true;
      });
      if (lines >= maxLines || end < segment.bytes) break;
    }
    return { records, next: pos };
  }

  /** Everything before `upto` has been forwarded: delete segments that lie wholly before it. */
  release(upto: SpoolPosition): void {
    const active = this.#segments[this.#segments.length - 1];
    const done = this.#segments.filter((s) => s.id < upto.segment || (s.id === upto.segment && upto.offset >= s.bytes && s !== active));
    for (const s of done) if (!this.#delete(s, true)) return; // kept, in order, for the next release
  }

  /** Closes the active segment, after the write in flight if there is one. */
  close(): void {
    this.#closed = true;
    this.health.stop();
    if (!this.#flushing || this.health.failing) this.#closeActive();
  }

  #closeActive(): void {
    const fd = this.#activeFd;
    this.#activeFd = undefined;
    if (fd === undefined) return;
    try {
      this.#fs.closeSync(fd);
    } catch (err) {
      this.health.count(err);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const g = this.#filling;
    if (g.used === 0 || this.#closed || this.#flushing) return;
    this.#filling = this.#writing;
    this.#writing = g;
    this.#flushing = true;
    this.#writeGroup();
  }

  /** Writes `#writing` at the end of the active segment, then fdatasyncs it. */
  #writeGroup(): void {
    const g = this.#writing;
    let segment: Segment;
    let fd: number;
    try {
      this.#makeRoom(g.used);
      segment = this.#active(g.used);
      fd = this.#activeFd!;
    } catch (err) {
      return this.#failed(this.#o.dir, err);
    }
    this.#writeAll(fd, g, 0, segment.bytes, (err) => {
      const file = join(this.#o.dir, segment.file);
      if (err) return this.#failed(file, err);
      if (!this.#o.fsync) return this.#written(segment, g);
      this.#fs.fdatasync(fd, (syncErr) => (syncErr ? this.#failed(file, syncErr) : this.#written(segment, g)));
    });
  }

  /** A short write (a nearly full disk) is continued, so a failure comes with its errno. */
  #writeAll(fd: number, g: Group, done: number, at: number, cb: (err: Error | null) => void): void {
    this.#fs.write(fd, g.buf, done, g.used - done, at + done, (err, written) => {
      if (err) return cb(err);
      if (written <= 0) return cb(Object.assign(new Error(`spool: write returned ${written}`), { code: 'EIO' }));
      if (done + written < g.used) return this.#writeAll(fd, g, done + written, at, cb);
      cb(null);
    });
  }

  /** The group is durable: its appends resolve (the brain acknowledges them). */
  #written(segment: Segment, g: Group): void {
    segment.bytes += g.used;
    segment.lines += g.lines;
    this.appendedLines += g.lines;
    this.#flushing = false;
    this.health.ok();
    const waiters = g.waiters;
    g.clear();
    for (const resolve of waiters) resolve();
    if (this.#closed) this.#closeActive();
    else if (this.#filling.used > 0) this.#flush();
  }

  /**
   * The group could not be made durable. Its waiters stay pending (nothing is acknowledged), and
   * the write is retried after a backoff from memory, never from what the failed attempt left.
   */
  #failed(path: string, err: unknown): void {
    this.health.failed(path, err);
    this.#closeActive();
    this.health.retry(() => this.#retry());
  }

  #retry(): void {
    if (this.#closed) return;
    const last = this.#segments[this.#segments.length - 1];
    if (last && !last.sealed) {
      try {
        // Cut whatever the failed attempt left past the durable end (a partial or unsynced group).
        this.#fs.truncateSync(join(this.#o.dir, last.file), last.bytes);
      } catch (err) {
        this.health.count(err);
        last.sealed = true; // its tail is unknown: the group goes to a new segment
      }
    }
    this.#writeGroup();
  }

  /** The segment to append `need` bytes to: the last one while it has room, else a new one. */
  #active(need: number): Segment {
    const last = this.#segments[this.#segments.length - 1];
    if (last && !last.sealed && last.bytes + need <= this.#o.segmentBytes) {
      this.#activeFd ??= openStateFile(join(this.#o.dir, last.file), OPEN.readWrite, this.#fs);
      if (!last.dirSynced) this.#syncDir(last);
      return last;
    }
    this.#closeActive();
    if (last) last.sealed = true;
    const id = (last?.id ?? 0) + 1;
    const segment: Segment = { id, file: `spool-${String(id).padStart(12, '0')}.seg`, bytes: 0, lines: 0, sealed: false, dirSynced: false };
    this.#activeFd = openStateFile(join(this.#o.dir, segment.file), OPEN.create, this.#fs);
    this.#segments.push(segment);
    this.#syncDir(segment);
    return segment;
  }

  #syncDir(segment: Segment): void {
    fsyncDir(this.#o.dir, this.#fs);
    segment.dirSynced = true;
  }

  /** Keeps the spool within its bound by dropping the oldest segments, counted. */
  #makeRoom(need: number): void {
    while (this.#segments.length > 1 && this.bytes + need > this.#o.maxBytes) {
      const oldest = this.#segments[0]!;
      const lines = oldest.lines;
      if (!this.#delete(oldest)) return; // the checkpoint cannot be written: over the bound for now
      this.droppedLines += lines;
      this.droppedSegments++;
      this.#onDrop?.(oldest.id);
    }
  }

  /**
   * Deletes a segment after the checkpoint; false (segment kept) when that cannot be written.
   * `forwarded`: its lines are in the store, so it may be emptied first (see below).
   */
  #delete(s: Segment, forwarded = false): boolean {
    if (!this.#checkpointBeforeDelete(s, forwarded)) return false;
    try {
      this.#fs.unlinkSync(join(this.#o.dir, s.file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.health.count(err);
    }
    if (s === this.#segments[this.#segments.length - 1]) this.#closeActive();
    this.#segments = this.#segments.filter((x) => x !== s);
    return true;
  }

  /**
   * On a full disk the checkpoint itself may find no space, while forwarded segments are what
   * fills it: such a segment (its lines stored, its seqs in memory) is emptied first to free its
   * blocks, and the checkpoint tried once more. Only a crash in between forgets its seqs, which
   * costs a "missing batches" count, not a line.
   */
  #checkpointBeforeDelete(s: Segment, forwarded: boolean): boolean {
    const checkpoint = this.#o.beforeDelete;
    if (!checkpoint) return true;
    try {
      checkpoint();
      return true;
    } catch (err) {
      if (!forwarded || !isNoSpace(err) || s.bytes === 0) return false;
    }
    try {
      this.#fs.truncateSync(join(this.#o.dir, s.file), 0);
      s.bytes = 0;
      s.lines = 0;
      s.sealed = true;
      checkpoint();
      return true;
    } catch (err) {
      this.health.count(err);
      return false;
    }
  }

  /** Visits intact records from `offset`; the visitor may return false to stop. Returns the end. */
  #scan(segment: Segment, offset: number, visit: (r: SpoolRecord, offset: number) => boolean | void, size = segment.bytes): number {
    const fs = this.#fs;
    const fd = fs.openSync(join(this.#o.dir, segment.file), 'r');
    try {
      let pos = offset;
      const head = Buffer.allocUnsafe(FIXED_HEADER);
      while (pos + FIXED_HEADER <= size) {
        fs.readSync(fd, head, 0, FIXED_HEADER, pos);
        const bodyLen = head.readUInt32LE(0);
        const idLen = head.readUInt16LE(20);
        const total = FIXED_HEADER + idLen + bodyLen;
        if (pos + total > size) break;
        const rec = Buffer.allocUnsafe(total);
        fs.readSync(fd, rec, 0, total, pos);
        if (crc32(rec.subarray(8)) !== head.readUInt32LE(4)) break;
        const r: SpoolRecord = {
          seq: head.readDoubleLE(8),
          lines: head.readUInt32LE(16),
          agentId: rec.toString('utf8', FIXED_HEADER, FIXED_HEADER + idLen),
          payload: rec.subarray(FIXED_HEADER + idLen),
        };
        if (visit(r, pos) === false) return pos;
        pos += total;
      }
      return pos;
    } finally {
      fs.closeSync(fd);
    }
  }
}

function recordSize(r: SpoolRecord): number {
  return FIXED_HEADER + Buffer.byteLength(r.agentId) + r.payload.length;
}
