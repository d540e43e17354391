/**
 * The brain's durable spool: every accepted batch, as line protocol, appended to segment files
 * before it is acknowledged. It is what makes "nothing lost" true across brain restarts and
 * InfluxDB outages (issue #2, item 4): the forwarder drains it into the store at the store's
 * pace, so a slow InfluxDB costs disk, never brain memory.
 *
 * Appends are group-committed: everything appended while one fdatasync runs goes into the next
 * write + fdatasync, and each append's promise resolves when its bytes are durable.
 *
 * Record layout: u32 payload length | u32 crc32(rest) | f64 seq | u32 lines | u16 agent id
 * length | agent id | payload (UTF-8 line protocol, '\n'-terminated lines).
 */
import { closeSync, fdatasync, mkdirSync, openSync, readdirSync, readSync, statSync, ftruncateSync, unlinkSync, writevSync } from 'node:fs';
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

interface PendingAppend {
  buf: Buffer;
  lines: number;
  resolve: () => void;
}

export class Spool {
  readonly #o: SpoolOptions;
  #segments: Segment[] = [];
  #activeFd: number | undefined;
  #pending: PendingAppend[] = [];
  #flushing = false;
  #scheduled = false;
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
  append(agentId: string, seq: number, lines: number, payload: string): Promise<void> {
    // Encoded straight into the record: a batch's text is several KB, and an intermediate
    // Buffer per string (a fresh allocation each, above the pool size) was the brain's
    // hottest spot with thousands of agents (docs/benchmarks.md, "Scale").
    const idLength = Buffer.byteLength(agentId, 'utf8');
    const bodyLength = Buffer.byteLength(payload, 'utf8');
    const buf = Buffer.allocUnsafe(FIXED_HEADER + idLength + bodyLength);
    buf.writeUInt32LE(bodyLength, 0);
    buf.writeDoubleLE(seq, 8);
    buf.writeUInt32LE(lines, 16);
    buf.writeUInt16LE(idLength, 20);
    buf.write(agentId, FIXED_HEADER, 'utf8');
    buf.write(payload, FIXED_HEADER + idLength, 'utf8');
    buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
    return new Promise((resolve) => {
      this.#pending.push({ buf, lines, resolve });
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

  close(): void {
    if (this.#activeFd !== undefined) closeSync(this.#activeFd);
    this.#activeFd = undefined;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#flushing = true;
    const bytes = batch.reduce((n, p) => n + p.buf.length, 0);
    const lines = batch.reduce((n, p) => n + p.lines, 0);
    this.#makeRoom(bytes);
    const segment = this.#active(bytes);
    // One gathered write, no concatenated copy of the group.
    writevSync(this.#activeFd!, batch.map((p) => p.buf), segment.bytes);
    this.appendedLines += lines;
    const done = () => {
      segment.bytes += bytes;
      segment.lines += lines;
      this.#flushing = false;
      for (const p of batch) p.resolve();
      if (this.#pending.length > 0) this.#flush();
    };
    if (this.#o.fsync) fdatasync(this.#activeFd!, done);
    else done();
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

