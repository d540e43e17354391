/**
 * Tails one log path through every way it gets replaced: rename+create (with or without
 * compression), copytruncate, delete+recreate, and any number of rotations while the agent was
 * down. Lines are handed on in units of at most UNIT_LINES; a cursor moves past a unit's lines
 * just before they are handed on, and the sampler emits what they make as one unit (emit.unit),
 * so a batch is never sealed between the two: what a seal saves covers exactly what it holds.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import type { Clock } from '../../../lib/clock.js';
import {
  FP_BYTES,
  hashPrefix,
  headMatches,
  identityAndHeadOfFd,
  identityOfFd,
  readHeadFd,
  readHeadGz,
  type Identity,
} from './fingerprint.js';
import { LineSplitter, type LineBatch, type SplitCounts } from './lines.js';
import type { Cursor } from './offsets.js';
import { listGenerations, type Candidate } from './rotated.js';

export interface TailerOptions {
  clock: Clock;
  maxLineBytes: number;
  readChunkBytes: number;
  rotateGraceMs: number;
  /**
   * Runs the rules over a batch, synchronously (the buffer is reused afterwards), as one unit:
   * the cursor already covers its lines.
   */
  onBatch(batch: LineBatch): void;
  /** Cursors moved: persist them at the next seal (called before the lines they passed are handed on). */
  onProgress(): void;
}

export interface FileStats extends SplitCounts {
  lines: number;
  bytes: number;
  rotations: number;
  truncations: number;
  /** The previous file could not be found again (its lines since the last save are gone). */
  lostTrack: number;
}

interface Open {
  fd: number;
  cur: Cursor;
  /** The file's first cur.id.fpLen bytes as last seen: a truncation is found by comparing bytes, not re-hashing. */
  head: Buffer;
}

const YIELD_EVERY_BYTES = 8 << 20;
/** Lines handed on at once at most: bounds what one unit adds to a batch (rules × lines samples). */
const UNIT_LINES = 4096;

export class FileTailer {
  readonly path: string;
  readonly stats: FileStats = { lines: 0, bytes: 0, longLines: 0, skippedBytes: 0, rotations: 0, truncations: 0, lostTrack: 0 };
  readonly #o: TailerOptions;
  readonly #split: LineSplitter;
  #buf: Buffer | null = null;
  /** Reused for every head comparison, so a check allocates nothing for it. */
  readonly #headScratch = Buffer.allocUnsafe(FP_BYTES);
  #live: Open | null = null;
  #draining: (Open & { quietSinceMs: number }) | null = null;
  /**
   * Where reading must resume before the live file: saved state, or the file just rotated away.
   * During a catch-up only the cursors of generations not reached yet: the one being read is
   * #catching (or #draining), and a save that also kept the cursor it started from would make a
   * restart read that generation again.
   */
  #pendingPrev: Cursor[] | null;
  #catching: Cursor | null = null;
  #startAtEnd: boolean;
  #backlogLive = false;
  #running: Promise<void> | null = null;
  /** The last read of the live file stopped before its end (a line still without its newline). */
  #partialTail = false;
  #lastReadLeftBytes = false;
  #again = false;
  #closed = false;

  constructor(path: string, opts: TailerOptions, restored: Cursor[] | undefined, startAtEnd: boolean) {
    this.path = path;
    this.#o = opts;
    this.#split = new LineSplitter(opts.maxLineBytes);
    this.#pendingPrev = restored && restored.length > 0 ? restored : null;
    this.#startAtEnd = startAtEnd;
  }

  /** Every cursor a restart needs, oldest file first. */
  cursors(): Cursor[] {
    const all = [this.#draining?.cur, this.#catching ?? undefined, ...(this.#pendingPrev ?? []), this.#live?.cur];
    return [...new Set(all.filter((c): c is Cursor => c !== undefined))];
  }

  /**
   * Nothing waits on a later look: the live file was read to its end on a line boundary and no
   * rotated file is being drained or caught up with. Then the next write's inotify event suffices.
   */
  get settled(): boolean {
    return this.#live !== null && !this.#partialTail && !this.#draining && !this.#pendingPrev && !this.#catching && !this.#running;
  }

  /** Reads whatever is new. Overlapping calls coalesce into one more pass. */
  check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#checkOnce();
        } while (this.#again && !this.#closed);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running?.catch(() => undefined);
    // The cursors stay: the final checkpoint after close() must still see them.
    for (const o of [this.#live, this.#draining]) if (o) closeSync(o.fd);
  }

  async #checkOnce(): Promise<void> {
    if (this.#closed) return;
    if (this.#draining) this.#drainOld();
    const st = statOrNull(this.path);
    const live = this.#live;
    if (live && (!st || st.ino !== live.cur.id.ino || st.dev !== live.cur.id.dev)) {
      this.stats.rotations++;
      this.#moveLiveToDraining();
    } else if (live && st && (st.size < live.cur.offset || !this.#headUnchanged(live))) {
      this.stats.truncations++;
      this.#pendingPrev = [live.cur];
      closeSync(live.fd);
      this.#live = null;
    }
    if (!this.#live) {
      if (this.#pendingPrev) await this.#catchUp(this.#pendingPrev);
      else if (st) this.#openFresh();
    }
    if (this.#live) await this.#readLive(this.#live);
  }

  #moveLiveToDraining(): void {
    const live = this.#live!;
    if (this.#draining) this.#finishDraining();
    this.#draining = { ...live, quietSinceMs: this.#o.clock.monotonic() };
    this.#pendingPrev = [live.cur];
    this.#live = null;
  }

  /** The writer may keep appending to a renamed file until it reopens (SIGHUP): keep reading it a while. */
  #drainOld(): void {
    const d = this.#draining!;
    const before = d.cur.offset;
    this.#pumpFd(d.fd, d.cur, false, true);
    const now = this.#o.clock.monotonic();
    if (d.cur.offset !== before) d.quietSinceMs = now;
    else if (now - d.quietSinceMs >= this.#o.rotateGraceMs) this.#finishDraining();
  }

  #finishDraining(): void {
    const d = this.#draining!;
    this.#pumpFd(d.fd, d.cur, true, true);
    closeSync(d.fd);
    this.#draining = null;
    this.#o.onProgress();
  }

  #headUnchanged(o: Open): boolean {
    const len = o.cur.id.fpLen;
    if (len === 0) return true;
    const n = readSync(o.fd, this.#headScratch, 0, len, 0);
    return n === len && this.#headScratch.compare(o.head, 0, len, 0, len) === 0;
  }

  #openFresh(): void {
    const fd = openOrNull(this.path);
    if (fd === null) return;
    const offset = this.#startAtEnd ? lineStartBefore(fd, fstatSync(fd).size, this.#o.maxLineBytes) : 0;
    this.#startAtEnd = false;
    const { id, head } = identityAndHeadOfFd(fd);
    this.#live = { fd, head, cur: { id, offset, skipping: false } };
    this.#o.onProgress();
  }

  /**
   * Resumes after `prev`: finds the generation each cursor was in (by fingerprint, inode as
   * tie-break), reads the rest of it and every newer rotated generation in order, then opens
   * the live file at its saved offset or at 0.
   */
  async #catchUp(prev: Cursor[]): Promise<void> {
    this.#startAtEnd = false;
    const gens = listGenerations(this.path);
    const matched = matchCursors(gens, prev);
    let start = Math.min(...matched.keys());
    if (!Number.isFinite(start)) {
      if (prev.some((c) => c.offset > 0)) this.stats.lostTrack++;
      start = gens.length > 0 && gens[gens.length - 1]!.live ? gens.length - 1 : gens.length;
    }
    for (let j = start; j < gens.length; j++) {
      const g = gens[j]!;
      const from = matched.get(j);
      const later = [...matched].filter(([i]) => i > j).map(([, c]) => c);
      if (g.live) {
        if (this.#openLive(g, from)) return;
        break;
      }
      if (this.#isDrainingFile(g)) continue;
      const isNewestRotated = j === gens.length - 1 || gens[j + 1]!.live;
      if (!g.gz && isNewestRotated && !this.#draining) {
        this.#adoptAsDraining(g, from, later); // the writer may still be appending to it
        continue;
      }
      const ok = await this.#readRotated(g, from, later);
      if (!ok) break; // e.g. a .gz still being written: retried on the next check
    }
    // No live file yet, or a generation not readable yet: the next look resumes from the newest
    // position reached (and the cursors of generations not reached).
    const reached = this.#catching ?? this.#draining?.cur;
    if (reached) this.#pendingPrev = [reached, ...(this.#pendingPrev ?? []).filter((c) => c !== reached)];
    this.#catching = null;
  }

  #openLive(g: Candidate, from: Cursor | undefined): boolean {
    const fd = openOrNull(g.path);
    if (fd === null) return false;
    const { id, head } = identityAndHeadOfFd(fd);
    this.#live = { fd, head, cur: { id, offset: from?.offset ?? 0, skipping: from?.skipping ?? false } };
    this.#backlogLive = true;
    this.#pendingPrev = null;
    this.#catching = null;
    this.#o.onProgress();
    return true;
  }

  #isDrainingFile(g: Candidate): boolean {
    if (g.gz || !this.#draining) return false;
    const st = statOrNull(g.path);
    return st !== null && st.ino === this.#draining.cur.id.ino && st.dev === this.#draining.cur.id.dev;
  }

  /** `later`: the saved cursors of newer generations, still to be reached. */
  #adoptAsDraining(g: Candidate, from: Cursor | undefined, later: Cursor[]): void {
    const fd = openOrNull(g.path);
    if (fd === null) return;
    const { id, head } = identityAndHeadOfFd(fd);
    const cur = { id, offset: from?.offset ?? 0, skipping: from?.skipping ?? false };
    this.#draining = { fd, head, cur, quietSinceMs: this.#o.clock.monotonic() };
    this.#pendingPrev = later;
    this.#catching = null;
    this.#drainOld();
  }

  /** Reads a rotated generation to its end with a cursor of its own (see #pendingPrev). */
  async #readRotated(g: Candidate, from: Cursor | undefined, later: Cursor[]): Promise<boolean> {
    const offset = from?.offset ?? 0;
    if (!g.gz) {
      const fd = openOrNull(g.path);
      if (fd === null) return true;
      try {
        const cur = { id: identityOfFd(fd), offset, skipping: from?.skipping ?? false };
        this.#catching = cur;
        this.#pendingPrev = later;
        await this.#pumpFdAsync(fd, cur);
      } finally {
        closeSync(fd);
      }
      return true;
    }
    try {
      const head = readHeadGz(g.path);
      const cur = {
        id: { ino: 0, dev: 0, fpLen: head.length, fpHash: hashPrefix(head, head.length) },
        offset,
        skipping: from?.skipping ?? false,
      };
      this.#catching = cur;
      this.#pendingPrev = later;
      await this.#pumpGz(g.path, cur);
      return true;
    } catch {
      return false;
    }
  }

  async #readLive(o: Open): Promise<void> {
    const backlog = this.#backlogLive;
    this.#backlogLive = false;
    let sinceYield = 0;
    for (;;) {
      const moved = this.#pumpFd(o.fd, o.cur, false, backlog, YIELD_EVERY_BYTES);
      this.#partialTail = this.#lastReadLeftBytes;
      this.#growFingerprint(o);
      if (moved < YIELD_EVERY_BYTES) break;
      sinceYield += moved;
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0;
        await yieldToLoop();
        if (this.#closed || this.#live !== o) return;
      }
    }
  }

  #growFingerprint(o: Open): void {
    if (o.cur.id.fpLen >= FP_BYTES) return;
    const head = readHeadFd(o.fd);
    if (head.length <= o.cur.id.fpLen) return;
    o.cur.id = { ...o.cur.id, fpLen: head.length, fpHash: hashPrefix(head, head.length) };
    o.head = head;
  }

  /** Reads fd from cur.offset to EOF (or `limit` bytes), handing on complete lines. Returns bytes consumed. */
  #pumpFd(fd: number, cur: Cursor, final: boolean, backlog: boolean, limit = Infinity): number {
    const buf = this.#buffer();
    let total = 0;
    this.#lastReadLeftBytes = false;
    while (total < limit) {
      const n = readSync(fd, buf, 0, buf.length, cur.offset);
      if (n === 0) break;
      const eof = n < buf.length;
      const used = this.#handOn(buf, n, cur, final && eof, backlog);
      this.#lastReadLeftBytes = used < n;
      total += used;
      if (eof || used === 0) break;
    }
    return total;
  }

  /**
   * Hands on the complete lines of buf[0, n) in units of at most UNIT_LINES lines, moving the
   * cursor past each unit just before it is handed on. Returns the bytes consumed.
   */
  #handOn(buf: Buffer, n: number, cur: Cursor, final: boolean, backlog: boolean): number {
    const s = this.#split;
    let pos = 0;
    for (;;) {
      const used = s.split(buf, pos, n, cur, this.stats, final, UNIT_LINES);
      if (used === 0 && s.count === 0) break;
      cur.offset += used;
      this.stats.bytes += used;
      pos += used;
      // The save is asked for before the lines go out: the unit's own seal (a full batch) must save this cursor.
      this.#o.onProgress();
      this.#deliver(buf, backlog);
      if (s.count < UNIT_LINES || pos >= n) break;
    }
    return pos;
  }

  async #pumpFdAsync(fd: number, cur: Cursor): Promise<void> {
    while (this.#pumpFd(fd, cur, true, true, YIELD_EVERY_BYTES) >= YIELD_EVERY_BYTES) {
      await yieldToLoop();
      if (this.#closed) return;
    }
  }

  async #pumpGz(path: string, cur: Cursor): Promise<void> {
    const stream = createReadStream(path).pipe(createGunzip());
    let pos = 0;
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (this.#closed) {
        stream.destroy();
        return;
      }
      let data = chunk;
      if (pos + data.length <= cur.offset) {
        pos += data.length;
        continue;
      }
      if (pos < cur.offset) data = data.subarray(cur.offset - pos);
      pos += chunk.length;
      carry = carry.length > 0 ? Buffer.concat([carry, data]) : data;
      carry = this.#consumeCarry(carry, cur, false);
    }
    this.#consumeCarry(carry, cur, true);
  }

  #consumeCarry(carry: Buffer, cur: Cursor, final: boolean): Buffer {
    const used = this.#handOn(carry, carry.length, cur, final, true);
    return Buffer.from(carry.subarray(used)); // copy: do not pin a whole zlib chunk for a partial line
  }

  #deliver(buf: Buffer, backlog: boolean): void {
    const s = this.#split;
    if (s.count === 0) return;
    this.stats.lines += s.count;
    this.#o.onBatch({
      buf,
      starts: s.starts,
      ends: s.ends,
      count: s.count,
      file: this.path,
      arrivalUs: this.#o.clock.nowUs(),
      backlog,
    });
  }

  #buffer(): Buffer {
    // Larger than a line can be, so a full buffer always holds a newline or a cut point.
    this.#buf ??= Buffer.allocUnsafe(Math.max(this.#o.readChunkBytes, this.#o.maxLineBytes + 1));
    return this.#buf;
  }
}

/** For each generation index, the cursor that was reading it (fingerprint first, inode as tie-break). */
function matchCursors(gens: Candidate[], prev: Cursor[]): Map<number, Cursor> {
  const heads = gens.map((g) => headOf(g));
  const out = new Map<number, Cursor>();
  for (const cur of prev) {
    let best = -1;
    let bestScore = 0;
    gens.forEach((g, i) => {
      const h = heads[i];
      if (!h) return;
      const sameInode = !g.gz && h.st !== null && h.st.ino === cur.id.ino && h.st.dev === cur.id.dev;
      const fits = g.gz || (h.st !== null && h.st.size >= cur.offset);
      const byPrint = cur.id.fpLen > 0 && headMatches(h.head, cur.id);
      const byInode = cur.id.fpLen === 0 && sameInode;
      if (!fits || !(byPrint || byInode)) return;
      const score = 1 + (sameInode ? 2 : 0) + i / gens.length; // prefer the same inode, then the newest
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    if (best >= 0 && !out.has(best)) out.set(best, cur);
  }
  return out;
}

function headOf(g: Candidate): { head: Buffer; st: Stats | null } | null {
  try {
    if (g.gz) return { head: readHeadGz(g.path), st: null };
    const fd = openSync(g.path, 'r');
    try {
      return { head: readHeadFd(fd), st: fstatSync(fd) };
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Start of the line in progress at `size`, so starting "at the end" never begins mid-line. */
function lineStartBefore(fd: number, size: number, maxBack: number): number {
  const len = Math.min(size, maxBack);
  if (len === 0) return size;
  const buf = Buffer.alloc(len);
  const n = readSync(fd, buf, 0, len, size - len);
  const nl = buf.subarray(0, n).lastIndexOf(10);
  return nl >= 0 ? size - len + nl + 1 : size;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null; // no exception object for the common "not there"
  } catch {
    return null;
  }
}

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch {
    return null;
  }
}

export type { Identity };
