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
 * Record layout: u32 payload length | u32 crc32(rest) | f64 seq | u32 lines | u16 agent id
 * length | agent id | payload (UTF-8 line protocol, '\n'-terminated lines).
 */
import { closeSync, fdatasync, mkdirSync, openSync, readdirSync, readSync, statSync, ftruncateSync, unlinkSync, write } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const FIXED_HEADER = 4 + 4 + 8 + 4 + 2;

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
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: boolean;
  /** Called before any segment file is deleted (the brain checkpoints its dedupe state). */
  beforeDelete?: () => void;
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
    mkdirSync(opts.dir, { recursive: true });
  }

  /** Reads every intact record (recovery); cuts a torn tail. Call once, before appending. */
  recover(onRecord: (r: SpoolRecord, at: SpoolPosition) => void): void {
    const files = readdirSync(this.#o.dir).filter((f) => /^spool-\d+\.seg$/.test(f)).sort();
    for (const file of files) {
      const id = Number(file.slice(6, -4));
      const segment: Segment = { id, file, bytes: 0, lines: 0 };
      const size = statSync(join(this.#o.dir, file)).size;
      const end = this.#scan(
        segment,
        0,
        (r, offset) => {
          segment.lines += r.lines;
          onRecord(r, { segment: id, offset });
        },
        size,
      );
      if (end < size) {
        const fd = openSync(join(this.#o.dir, file), 'r+');
        ftruncateSync(fd, end);
        closeSync(fd);
      }
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

  /** Resolves once the record is durable (written, and fdatasync'd when fsync is on). */
  append(agentId: string, seq: number, lines: number, payload: Uint8Array | string): Promise<void> {
    const idLength = Buffer.byteLength(agentId, 'utf8');
    const bodyLength = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    const g = this.#filling;
    const at = g.claim(FIXED_HEADER + idLength + bodyLength);
    const buf = g.buf;
    buf.writeUInt32LE(bodyLength, at);
    buf.writeDoubleLE(seq, at + 8);
    buf.writeUInt32LE(lines, at + 16);
    buf.writeUInt16LE(idLength, at + 20);
    buf.write(agentId, at + FIXED_HEADER, 'utf8');
    if (typeof payload === 'string') buf.write(payload, at + FIXED_HEADER + idLength, 'utf8');
    else buf.set(payload, at + FIXED_HEADER + idLength);
    buf.writeUInt32LE(crc32(buf.subarray(at + 8, g.used)), at + 4);
    g.lines += lines;
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
    for (const s of done) this.#delete(s);
  }

  /** Closes the active segment, after the write in flight if there is one. */
  close(): void {
    this.#closed = true;
    if (!this.#flushing) this.#closeActive();
  }

  #closeActive(): void {
    if (this.#activeFd !== undefined) closeSync(this.#activeFd);
    this.#activeFd = undefined;
  }

  #flush(): void {
    this.#scheduled = false;
    const g = this.#filling;
    if (g.used === 0 || this.#closed) return;
    this.#filling = this.#writing;
    this.#writing = g;
    this.#flushing = true;
    const { used: bytes, lines } = g;
    this.#makeRoom(bytes);
    const segment = this.#active(bytes);
    const fd = this.#activeFd!;
    const done = () => {
      segment.bytes += bytes;
      segment.lines += lines;
      this.#flushing = false;
      const waiters = g.waiters;
      g.clear();
      for (const resolve of waiters) resolve();
      if (this.#closed) this.#closeActive();
      else if (this.#filling.used > 0) this.#flush();
    };
    // A failed write or fdatasync must not be acknowledged as durable: it stops the brain.
    write(fd, g.buf, 0, bytes, segment.bytes, (err, written) => {
      if (err) throw err;
      if (written !== bytes) throw new Error(`spool: short write to ${segment.file} (${written} of ${bytes} bytes)`);
      this.appendedLines += lines;
      if (!this.#o.fsync) return done();
      fdatasync(fd, (syncErr) => {
        if (syncErr) throw syncErr;
        done();
      });
    });
  }

  #active(need: number): Segment {
    const last = this.#segments[this.#segments.length - 1];
    if (last && this.#activeFd !== undefined && last.bytes + need <= this.#o.segmentBytes) return last;
    if (this.#activeFd !== undefined) closeSync(this.#activeFd);
    const id = (last?.id ?? 0) + 1;
    const segment: Segment = { id, file: `spool-${String(id).padStart(12, '0')}.seg`, bytes: 0, lines: 0 };
    this.#activeFd = openSync(join(this.#o.dir, segment.file), 'w');
    this.#segments.push(segment);
    return segment;
  }

  /** Keeps the spool within its bound by dropping the oldest segments, counted. */
  #makeRoom(need: number): void {
    while (this.#segments.length > 1 && this.bytes + need > this.#o.maxBytes) {
      const oldest = this.#segments[0]!;
      this.droppedLines += oldest.lines;
      this.droppedSegments++;
      this.#delete(oldest);
      this.#onDrop?.(oldest.id);
    }
  }

  #delete(s: Segment): void {
    this.#o.beforeDelete?.();
    try {
      unlinkSync(join(this.#o.dir, s.file));
    } catch {
      // already gone
    }
    this.#segments = this.#segments.filter((x) => x !== s);
  }

  /** Visits intact records from `offset`; the visitor may return false to stop. Returns the end. */
  #scan(segment: Segment, offset: number, visit: (r: SpoolRecord, offset: number) => boolean | void, size = segment.bytes): number {
    const fd = openSync(join(this.#o.dir, segment.file), 'r');
    try {
      let pos = offset;
      const head = Buffer.allocUnsafe(FIXED_HEADER);
      while (pos + FIXED_HEADER <= size) {
        readSync(fd, head, 0, FIXED_HEADER, pos);
        const bodyLen = head.readUInt32LE(0);
        const idLen = head.readUInt16LE(20);
        const total = FIXED_HEADER + idLen + bodyLen;
        if (pos + total > size) break;
        const rec = Buffer.allocUnsafe(total);
        readSync(fd, rec, 0, total, pos);
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
      closeSync(fd);
    }
  }
}

function recordSize(r: SpoolRecord): number {
  return FIXED_HEADER + Buffer.byteLength(r.agentId) + r.payload.length;
}

