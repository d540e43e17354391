/**
 * The durable outbox: a notification is written (and fsynced) here BEFORE any channel sees it,
 * keyed by (incident, escalation step, kind, recipient). On start the file is replayed and what
 * was never marked sent is handed out again, so a brain killed between "enqueued" and "sent"
 * pages once after the restart; a key already known is refused, so nothing is enqueued twice.
 *
 * Format: append-only JSON lines `{"t":"enq"|"sent"|"gaveup", "k": key, "at": ms, ...}`.
 * A torn last line (a crash mid-write) is cut off; a corrupt line elsewhere is skipped and counted.
 * The file is compacted (temp file, fsync, rename, fsync dir) once dead records dominate it.
 *
 * The guarantee is at-least-once with a window of milliseconds: a crash after the gateway's
 * 250 and before the "sent" record's fsync sends that one notification again on restart
 * (mail carries a Message-ID derived from the key so a receiver can drop it; SNPP has no such id).
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import { notificationKey, type Notification } from './notification.js';

export interface OutboxOptions {
  readonly file: string;
  readonly clock: Clock;
  /** Undelivered notifications kept at most; beyond it enqueue refuses and counts a drop. */
  readonly maxPending?: number;
  /** Delivered keys remembered for dedup; the oldest are forgotten first, and counted. */
  readonly maxDoneKeys?: number;
  /** Compact when the file holds this many records more than the live ones. */
  readonly compactSlack?: number;
}

export interface OutboxEntry {
  readonly key: string;
  readonly notification: Notification;
  readonly enqueuedAt: number;
}

export type DoneState = 'sent' | 'abandoned';

export type EnqueueResult =
  | { readonly status: 'enqueued'; readonly entry: OutboxEntry }
  | { readonly status: 'duplicate'; readonly state: 'pending' | DoneState }
  | { readonly status: 'dropped'; readonly reason: 'full' };

type DiskRecord =
  | { t: 'enq'; k: string; at: number; n: Notification }
  | { t: 'sent'; k: string; at: number; ch?: string }
  | { t: 'gaveup'; k: string; at: number; why?: string };

export class Outbox {
  readonly #opts: Required<OutboxOptions>;
  readonly #pending = new Map<string, OutboxEntry>();
  readonly #done = new Map<string, DoneState>();
  #fd: number;
  #records = 0;
  #dropped = 0;
  #forgotten = 0;
  #corrupt = 0;

  private constructor(opts: OutboxOptions) {
    this.#opts = { maxPending: 10_000, maxDoneKeys: 100_000, compactSlack: 1_000, ...opts };
    this.#replay();
    this.#fd = openSync(this.#opts.file, 'a');
  }

  /** Opens (creating if need be) and replays the file. */
  static open(opts: OutboxOptions): Outbox {
    return new Outbox(opts);
  }

  /** Durable on return: the record is fsynced. */
  enqueue(n: Notification): EnqueueResult {
    const key = notificationKey(n);
    if (this.#pending.has(key)) return { status: 'duplicate', state: 'pending' };
    const done = this.#done.get(key);
    if (done) return { status: 'duplicate', state: done };
    if (this.#pending.size >= this.#opts.maxPending) {
      this.#dropped++;
      return { status: 'dropped', reason: 'full' };
    }
    const entry: OutboxEntry = { key, notification: n, enqueuedAt: this.#opts.clock.now() };
    this.#append({ t: 'enq', k: key, at: entry.enqueuedAt, n });
    this.#pending.set(key, entry);
    return { status: 'enqueued', entry };
  }

  markSent(key: string, channel: string): void {
    this.#finish(key, 'sent', { t: 'sent', k: key, at: this.#opts.clock.now(), ch: channel });
  }

  markAbandoned(key: string, why: string): void {
    this.#finish(key, 'abandoned', { t: 'gaveup', k: key, at: this.#opts.clock.now(), why });
  }

  /** Undelivered entries, oldest first. */
  pending(): OutboxEntry[] {
    return [...this.#pending.values()];
  }

  stateOf(key: string): 'pending' | DoneState | undefined {
    return this.#pending.has(key) ? 'pending' : this.#done.get(key);
  }

  /** Notifications refused because the outbox was full. */
  get dropped(): number {
    return this.#dropped;
  }
  /** Delivered keys forgotten to keep the dedup memory bounded. */
  get forgottenKeys(): number {
    return this.#forgotten;
  }
  /** Unreadable records skipped during replay (a torn last line is not counted: it never committed). */
  get corruptRecords(): number {
    return this.#corrupt;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #finish(key: string, state: DoneState, record: DiskRecord): void {
    if (!this.#pending.has(key)) return;
    this.#append(record);
    this.#pending.delete(key);
    this.#remember(key, state);
    if (this.#records - this.#pending.size - this.#done.size > this.#opts.compactSlack) this.#compact();
  }

  #remember(key: string, state: DoneState): void {
    this.#done.set(key, state);
    while (this.#done.size > this.#opts.maxDoneKeys) {
      const oldest = this.#done.keys().next().value as string;
      this.#done.delete(oldest);
      this.#forgotten++;
    }
  }

  #append(record: DiskRecord): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
    this.#records++;
  }

  #replay(): void {
    if (!existsSync(this.#opts.file)) return;
    const bytes = readFileSync(this.#opts.file);
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) {
      // A torn tail never committed: cut it so the next append starts on a fresh line.
      const fd = openSync(this.#opts.file, 'r+');
      ftruncateSync(fd, complete);
      fsyncSync(fd);
      closeSync(fd);
    }
    for (const line of bytes.subarray(0, complete).toString('utf8').split('\n')) {
      if (line === '') continue;
      let r: DiskRecord;
      try {
        r = JSON.parse(line) as DiskRecord;
      } catch {
        this.#corrupt++;
        continue;
      }
      this.#records++;
      this.#apply(r);
    }
  }

  #apply(r: DiskRecord): void {
    if (r.t === 'enq') {
      if (!this.#done.has(r.k) && !this.#pending.has(r.k)) this.#pending.set(r.k, { key: r.k, notification: r.n, enqueuedAt: r.at });
    } else {
      this.#pending.delete(r.k);
      this.#remember(r.k, r.t === 'sent' ? 'sent' : 'abandoned');
    }
  }

  #compact(): void {
    const tmp = `${this.#opts.file}.compact`;
    const fd = openSync(tmp, 'w');
    let records = 0;
    const now = this.#opts.clock.now();
    for (const [k, state] of this.#done) {
      writeSync(fd, `${JSON.stringify(state === 'sent' ? { t: 'sent', k, at: now } : { t: 'gaveup', k, at: now })}\n`);
      records++;
    }
    for (const e of this.#pending.values()) {
      writeSync(fd, `${JSON.stringify({ t: 'enq', k: e.key, at: e.enqueuedAt, n: e.notification })}\n`);
      records++;
    }
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.#fd);
    renameSync(tmp, this.#opts.file);
    const dir = openSync(dirname(this.#opts.file), 'r');
    fsyncSync(dir);
    closeSync(dir);
    this.#fd = openSync(this.#opts.file, 'a');
    this.#records = records;
  }
}
