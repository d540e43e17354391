/**
 * Drains the spool into the time-series store, in order, at the store's own pace.
 *
 * Up to `maxInflight` chunks of `batchLines` lines are written at once (InfluxDB 1.6 takes
 * ~33 % more with several writers); the durable cursor only moves past a chunk once it and all
 * chunks before it are stored, so a brain killed mid-write replays from the cursor. Replayed
 * lines are the identical points, which InfluxDB stores once: replay never double-counts.
 * A retryable failure (store down, slow, 5xx) pauses forwarding with backoff; a permanent one
 * (bad lines) is isolated line by line so every good line is stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../../lib/clock.js';
import { DiskHealth } from '../../lib/disk-health.js';
import { writeFileAtomic, type StateFs } from '../../lib/state-files.js';
import type { Logger } from '../../lib/log.js';
import type { Sink } from './sink.js';
import type { Spool, SpoolPosition } from './spool.js';
import { writeIsolatingBadLines, type DeadLetter } from './bad-lines.js';

export interface ForwarderOptions {
  clock: Clock;
  log: Logger;
  spool: Spool;
  sink: Sink;
  stateDir: string;
  batchLines: number;
  maxInflight: number;
  deadLetter: DeadLetter;
  /**
   * Called when the store stops accepting writes (after two failed attempts in a row, so one
   * blip is not an outage) and when it accepts them again.
   */
  onStoreChange?: (change: StoreChange) => void;
  /** The cursor file's disk health (a failed save is retried at the next one; see #saveCursor). */
  cursorHealth?: DiskHealth;
  fs?: StateFs;
}

export type StoreChange = { up: false; sink: string; error: string } | { up: true; sink: string; downForMs: number };

interface Chunk {
  generation: number;
  /** Line protocol, '\n'-terminated lines, exactly as spooled (never split on the happy path). */
  body: string;
  lines: number;
  next: SpoolPosition;
  done: boolean;
}

export class Forwarder {
  readonly #o: ForwarderOptions;
  #cursor: SpoolPosition;
  #readPos: SpoolPosition;
  #inflight: Chunk[] = [];
  /** Bumped on every rewind, so a write that completes after a rewind is ignored. */
  #generation = 0;
  #retryTimer: Timer | undefined;
  #pollTimer: Timer | undefined;
  #failures = 0;
  #stopped = false;
  #kickQueued = false;
  #lastError = '';
  #downSinceMs: number | undefined;
  #firstFailureMs = 0;
  readonly #cursorHealth: DiskHealth;
  #readError = '';
  forwardedLines = 0;
  rejectedLines = 0;
  storeUp = true;

  constructor(opts: ForwarderOptions) {
    this.#o = opts;
    this.#cursorHealth = opts.cursorHealth ?? new DiskHealth('forward-cursor', opts.clock);
    this.#cursor = this.#loadCursor();
    this.#readPos = { ...this.#cursor };
    opts.spool.onDrop((segment) => {
      // The spool had to drop its oldest segment (bound reached while the store was down).
      if (this.#readPos.segment <= segment) this.#readPos = { segment: segment + 1, offset: 0 };
      if (this.#cursor.segment <= segment) this.#cursor = { segment: segment + 1, offset: 0 };
    });
  }

  get cursor(): SpoolPosition {
    return this.#cursor;
  }

  /** Lines waiting in the spool or in flight is the lag; 0 means the store has everything. */
  start(): void {
    this.#pollTimer = this.#o.clock.setInterval(() => this.kick(), 50);
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#pollTimer?.cancel();
    this.#retryTimer?.cancel();
    this.#cursorHealth.stop();
  }

  /** New data was spooled: start writes soon, once per turn of the event loop however many appends. */
  kick(): void {
    if (this.#kickQueued) return;
    this.#kickQueued = true;
    setImmediate(() => {
      this.#kickQueued = false;
      this.#fill();
    });
  }

  /** Starts writes while the window allows. */
  #fill(): void {
    if (this.#stopped || this.#retryTimer) return;
    while (this.#inflight.length < this.#o.maxInflight) {
      const read = this.#read();
      if (!read) return;
      const { records, next } = read;
      if (records.length === 0) return;
      const body = Buffer.concat(records.map((r) => r.payload)).toString('utf8');
      const lines = records.reduce((n, r) => n + r.lines, 0);
      const chunk: Chunk = { generation: this.#generation, body, lines, next, done: false };
      this.#readPos = next;
      this.#inflight.push(chunk);
      void this.#write(chunk);
    }
  }

  /** A spool segment that cannot be read (EIO) is counted and tried again at the next poll. */
  #read(): ReturnType<Spool['read']> | undefined {
    try {
      const read = this.#o.spool.read(this.#readPos, this.#o.batchLines);
      this.#readError = '';
      return read;
    } catch (err) {
      this.#o.spool.health.count(err);
      const error = (err as Error).message;
      if (error !== this.#readError) this.#o.log.error({ error }, 'spool read failed; forwarding waits');
      this.#readError = error;
      return undefined;
    }
  }

  async #write(chunk: Chunk): Promise<void> {
    const result = await this.#o.sink.write(chunk.body, chunk.lines);
    if (result.ok) return this.#completed(chunk, chunk.lines, 0);
    let error = result.error;
    if (!result.retryable) {
      const lines = chunk.body.split('\n').filter((l) => l !== '');
      const isolated = await writeIsolatingBadLines(this.#o.sink, lines, this.#o.deadLetter, { firstResult: result });
      if (isolated.pending.length === 0) return this.#completed(chunk, isolated.written, isolated.rejected);
      error = isolated.failure?.error ?? error;
    }
    if (chunk.generation === this.#generation) this.#failed(error);
  }

  #completed(chunk: Chunk, written: number, rejected: number): void {
    if (chunk.generation !== this.#generation) return;
    chunk.done = true;
    this.forwardedLines += written;
    this.rejectedLines += rejected;
    if (!this.storeUp || this.#failures > 0) this.#o.log.info({ sink: this.#o.sink.name }, 'store is accepting writes again');
    this.storeUp = true;
    if (this.#downSinceMs !== undefined) {
      this.#o.onStoreChange?.({ up: true, sink: this.#o.sink.name, downForMs: this.#o.clock.now() - this.#downSinceMs });
      this.#downSinceMs = undefined;
    }
    this.#failures = 0;
    this.#lastError = '';
    let moved = false;
    while (this.#inflight[0]?.done) {
      this.#cursor = this.#inflight.shift()!.next;
      moved = true;
    }
    if (moved) {
      this.#saveCursor();
      this.#o.spool.release(this.#cursor);
    }
    this.kick();
  }

  /** Any failure rewinds to the durable cursor and retries everything after it, in order. */
  #failed(error: string): void {
    this.storeUp = false;
    this.#failures++;
    if (this.#failures === 1) this.#firstFailureMs = this.#o.clock.now();
    if (this.#failures === 2 && this.#downSinceMs === undefined) {
      this.#downSinceMs = this.#firstFailureMs;
      this.#o.onStoreChange?.({ up: false, sink: this.#o.sink.name, error });
    }
    if (error !== this.#lastError) this.#o.log.warn({ sink: this.#o.sink.name, error }, 'store write failed; spooling and retrying');
    this.#lastError = error;
    this.#inflight = [];
    this.#generation++;
    this.#readPos = { ...this.#cursor };
    if (this.#retryTimer || this.#stopped) return;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.#failures - 1, 6));
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.kick();
    }, delay);
  }

  #loadCursor(): SpoolPosition {
    try {
      return JSON.parse(readFileSync(join(this.#o.stateDir, 'forward-cursor.json'), 'utf8')) as SpoolPosition;
    } catch {
      return { segment: 0, offset: 0 };
    }
  }

  /**
   * A cursor that cannot be saved stays behind on disk: a restart then forwards some lines again,
   * identical points InfluxDB stores once. So forwarding goes on; the save is retried.
   */
  #saveCursor(): void {
    const file = join(this.#o.stateDir, 'forward-cursor.json');
    try {
      writeFileAtomic(file, JSON.stringify(this.#cursor), this.#o.fs);
      this.#cursorHealth.ok();
    } catch (err) {
      this.#cursorHealth.failed(file, err);
      this.#cursorHealth.retry(() => this.#saveCursor());
    }
  }
}
