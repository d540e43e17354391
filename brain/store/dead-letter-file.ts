/**
 * Lines the store refused, kept for a human: JSON lines `{at, sink, status, reason, line}` in
 * `path`, bounded. When the file would exceed maxBytes it becomes `path.1` (replacing the previous
 * one), so about 2·maxBytes at most are kept (one oversized append may exceed it); the entries
 * discarded that way are counted.
 *
 * On a full or failing disk an append is retried (DiskHealth backoff) until it is written: the
 * forwarder's cursor does not move past refused lines that are not recorded yet. A failed
 * attempt may leave a partial line before the complete one (the file is for people to read).
 */
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../../lib/clock.js';
import { DiskHealth } from '../../lib/disk-health.js';
import { STATE_DIR_MODE, STATE_FILE_MODE } from '../../lib/state-files.js';
import type { DeadLetter, DeadLetterEntry } from './bad-lines.js';

export interface DeadLetterFileOptions {
  path: string;
  /** Default 16 MiB. */
  maxBytes?: number;
  /** Longer lines are cut (and counted); default 64 KiB. */
  maxLineBytes?: number;
  clock?: Clock;
  health?: DiskHealth;
}

export interface DeadLetterStats {
  recorded: number;
  truncated: number;
  rotations: number;
  /** Entries deleted with an old `.1` file. */
  discarded: number;
}

export class DeadLetterFile implements DeadLetter {
  readonly stats: DeadLetterStats = { recorded: 0, truncated: 0, rotations: 0, discarded: 0 };
  readonly #maxBytes: number;
  readonly #maxLineBytes: number;
  readonly #clock: Clock;
  #current: { bytes: number; entries: number } | undefined;
  #previousEntries = 0;
  #queue: Promise<void> = Promise.resolve();
  readonly health: DiskHealth;

  constructor(private readonly opts: DeadLetterFileOptions) {
    this.#maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
    this.#maxLineBytes = opts.maxLineBytes ?? 64 * 1024;
    this.#clock = opts.clock ?? systemClock;
    this.health = opts.health ?? new DiskHealth('dead-letter', this.#clock);
  }

  get path(): string {
    return this.opts.path;
  }

  /** Appends in call order; concurrent callers are serialised. Resolves once written. */
  record(entries: readonly DeadLetterEntry[]): Promise<void> {
    const done = this.#queue.then(() => this.#appendUntilWritten(entries));
    this.#queue = done.catch(() => undefined);
    return done;
  }

  async #appendUntilWritten(entries: readonly DeadLetterEntry[]): Promise<void> {
    for (;;) {
      try {
        await this.#append(entries);
        this.health.ok();
        return;
      } catch (err) {
        this.#current = undefined; // re-read the sizes: the failed append may have written part
        this.health.failed(this.opts.path, err);
        await new Promise<void>((resolve) => this.health.retry(resolve));
      }
    }
  }

  async #append(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const at = new Date(this.#clock.now()).toISOString();
    const text = entries.map((e) => JSON.stringify({ at, ...e, line: this.#bounded(e.line) }) + '\n').join('');
    const bytes = Buffer.byteLength(text);
    const current = await this.#currentFile();
    if (current.bytes > 0 && current.bytes + bytes > this.#maxBytes) await this.#rotate(current);
    await appendFile(this.opts.path, text, { mode: STATE_FILE_MODE });
    current.bytes += bytes;
    current.entries += entries.length;
    this.stats.recorded += entries.length;
  }

  #bounded(line: string): string {
    if (Buffer.byteLength(line) <= this.#maxLineBytes) return line;
    this.stats.truncated++;
    return Buffer.from(line).subarray(0, this.#maxLineBytes).toString('utf8') + '…(truncated)';
  }

  async #rotate(current: { bytes: number; entries: number }): Promise<void> {
    this.stats.discarded += this.#previousEntries;
    await rename(this.opts.path, this.opts.path + '.1');
    this.stats.rotations++;
    this.#previousEntries = current.entries;
    current.bytes = 0;
    current.entries = 0;
  }

  async #currentFile(): Promise<{ bytes: number; entries: number }> {
    if (this.#current) return this.#current;
    await mkdir(dirname(this.opts.path), { recursive: true, mode: STATE_DIR_MODE });
    this.#current = await countEntries(this.opts.path);
    this.#previousEntries = (await countEntries(this.opts.path + '.1')).entries;
    return this.#current;
  }
}

/** Files left by an earlier run; both are at most maxBytes, so reading them once is bounded. */
async function countEntries(path: string): Promise<{ bytes: number; entries: number }> {
  try {
    const { size } = await stat(path);
    if (size === 0) return { bytes: 0, entries: 0 };
    const text = await readFile(path, 'utf8');
    return { bytes: size, entries: text.split('\n').length - 1 };
  } catch {
    return { bytes: 0, entries: 0 };
  }
}
