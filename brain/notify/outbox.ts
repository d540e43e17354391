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
 *
 * The outbox lives on the brain's state disk, and a page must not need that disk: when a record
 * cannot be written or fsynced (ENOSPC, EIO), `enqueue` still takes the notification, in memory,
 * and says `durable: false`, so the dispatcher delivers it directly and the timeline says so.
 * The outbox is then "behind" (its DiskHealth is failing) and retries on the Clock, rewriting
 * the whole file from memory (compaction), never re-fsyncing the fd that failed. Until then a
 * brain restart forgets what happened since the failure: a page may go out again.
 */
import type { Clock } from '../../lib/clock.js';
import { DiskHealth } from '../../lib/disk-health.js';
import { OPEN, openStateFile, realFs, writeFileAtomic, writeFully, type StateFs } from '../../lib/state-files.js';
import { notificationKey, type Notification } from '../channels/notification.js';

export interface OutboxOptions {
  readonly file: string;
  readonly clock: Clock;
  /** Undelivered notifications kept at most; beyond it enqueue refuses and counts a drop. */
  readonly maxPending?: number;
  /** Delivered keys remembered for dedup; the oldest are forgotten first, and counted. */
  readonly maxDoneKeys?: number;
  /** Compact when the file holds this many records more than the live ones. */
  readonly compactSlack?: number;
  readonly health?: DiskHealth;
  readonly fs?: StateFs;
  /** Told every record as it is made, before it is written (a brain pair replicates it). */
  readonly onRecord?: (line: string) => void;
}

export interface OutboxEntry {
  readonly key: string;
  readonly notification: Notification;
  readonly enqueuedAt: number;
}

export type DoneState = 'sent' | 'abandoned';

export type EnqueueResult =
  /** durable false: held in memory only (the disk failed); deliver it anyway. */
  | { readonly status: 'enqueued'; readonly entry: OutboxEntry; readonly durable: boolean }
  | { readonly status: 'duplicate'; readonly state: 'pending' | DoneState }
  | { readonly status: 'dropped'; readonly reason: 'full' };

type DiskRecord =
  | { t: 'enq'; k: string; at: number; n: Notification }
  | { t: 'sent'; k: string; at: number; ch?: string }
  | { t: 'gaveup'; k: string; at: number; why?: string };

export class Outbox {
  readonly #opts: Required<Omit<OutboxOptions, 'health' | 'fs' | 'onRecord'>>;
  readonly #onRecord: ((line: string) => void) | undefined;
  readonly #fs: StateFs;
  readonly health: DiskHealth;
  readonly #pending = new Map<string, OutboxEntry>();
  readonly #done = new Map<string, DoneState>();
  #fd: number | undefined;
  /** The file lacks records held in memory: it is rewritten from memory once the disk allows. */
  #behind = false;
  #records = 0;
  #dropped = 0;
  #forgotten = 0;
  #corrupt = 0;

  private constructor(opts: OutboxOptions) {
    const { health, fs, onRecord, ...rest } = opts;
    this.#onRecord = onRecord;
    this.#opts = { maxPending: 10_000, maxDoneKeys: 100_000, compactSlack: 1_000, ...rest };
    this.#fs = fs ?? realFs;
    this.health = health ?? new DiskHealth('outbox', opts.clock);
    this.#replay();
    this.#open();
  }

  /** Opens (creating if need be) and replays the file. */
  static open(opts: OutboxOptions): Outbox {
    return new Outbox(opts);
  }

  /** Durable on return (the record is fsynced) unless it says `durable: false`. */
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
    const durable = this.#append({ t: 'enq', k: key, at: entry.enqueuedAt, n });
    this.#pending.set(key, entry);
    return { status: 'enqueued', entry, durable };
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

  /** The file lacks records held in memory (the disk failed; a rewrite is pending). */
  get behind(): boolean {
    return this.#behind;
  }

  /** Closes the file; an outbox still behind gets one last rewrite attempt. */
  close(): void {
    this.health.stop();
    if (this.#behind) {
      try {
        this.#rewrite();
      } catch (err) {
        this.health.count(err);
      }
    }
    this.#closeFd();
  }

  #finish(key: string, state: DoneState, record: DiskRecord): void {
    if (!this.#pending.has(key)) return;
    this.#append(record);
    this.#pending.delete(key);
    this.#remember(key, state);
    if (!this.#behind && this.#records - this.#pending.size - this.#done.size > this.#opts.compactSlack) this.#compact();
  }

  #remember(key: string, state: DoneState): void {
    this.#done.set(key, state);
    while (this.#done.size > this.#opts.maxDoneKeys) {
      const oldest = this.#done.keys().next().value as string;
      this.#done.delete(oldest);
      this.#forgotten++;
    }
  }

  /** The whole state as records, oldest first (what a rewrite writes; a pair's secondary starts from it). */
  snapshotLines(): string[] {
    const now = this.#opts.clock.now();
    const lines: string[] = [];
    for (const [k, state] of this.#done)
      lines.push(JSON.stringify(state === 'sent' ? { t: 'sent', k, at: now } : { t: 'gaveup', k, at: now }));
    for (const e of this.#pending.values()) lines.push(JSON.stringify({ t: 'enq', k: e.key, at: e.enqueuedAt, n: e.notification }));
    return lines;
  }

  /** True when the record is in the file and fsynced; false: in memory only, until a rewrite. */
  #append(record: DiskRecord): boolean {
    this.#onRecord?.(JSON.stringify(record));
    if (this.#behind || this.#fd === undefined) return false;
    try {
      writeFully(this.#fd, Buffer.from(`${JSON.stringify(record)}\n`), null, this.#fs);
      this.#fs.fsyncSync(this.#fd);
    } catch (err) {
      this.#fail(err);
      return false;
    }
    this.#records++;
    return true;
  }

  #open(): void {
    try {
      this.#fd = openStateFile(this.#opts.file, OPEN.append, this.#fs);
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    this.health.failed(this.#opts.file, err);
    this.#behind = true;
    this.#closeFd();
    this.health.retry(() => this.#catchUp());
  }

  #catchUp(): void {
    try {
      this.#rewrite();
    } catch (err) {
      this.#fail(err);
    }
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      this.#fs.closeSync(fd);
    } catch (err) {
      this.health.count(err);
    }
  }

  #replay(): void {
    const fs = this.#fs;
    if (!fs.existsSync(this.#opts.file)) return;
    const bytes = fs.readFileSync(this.#opts.file);
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) {
      // A torn tail never committed: cut it so the next append starts on a fresh line.
      try {
        fs.truncateSync(this.#opts.file, complete);
      } catch (err) {
        this.#fail(err); // the rewrite leaves it out
      }
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
    this.#closeFd();
    this.#catchUp();
  }

  /** The whole file from memory: tmp, fsync, rename, fsync dir; then appends resume. */
  #rewrite(): void {
    const lines = this.snapshotLines();
    this.#closeFd();
    writeFileAtomic(this.#opts.file, lines.map((l) => `${l}\n`).join(''), this.#fs);
    this.#records = lines.length;
    this.#fd = openStateFile(this.#opts.file, OPEN.append, this.#fs);
    this.#behind = false;
    this.health.ok();
  }
}
