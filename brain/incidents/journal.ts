/**
 * The incidents' durable journal: append-only JSON lines, replayed on start. Each line is
 * written before `append` returns, so a brain SIGKILL loses nothing; the fdatasync that makes
 * it survive a power cut is group-committed on libuv's thread pool, one for every append made
 * while the previous one ran: an fsync per change on the event loop stalled the brain for
 * minutes under an alert storm (docs/benchmarks.md, "Scale"). A brain SIGKILL can leave a torn last line; replay cuts it off
 * (the write it belonged to never returned, so nobody was told it happened). A bad line in the
 * middle is skipped and counted. Compaction rewrites the file atomically (tmp, fsync, rename).
 */
import { closeSync, existsSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ReplayResult<T> {
  records: T[];
  /** Bytes cut from a torn last line. */
  tornBytes: number;
  /** Unparseable complete lines that were skipped. */
  badLines: number;
}

export class Journal<T> {
  readonly file: string;
  #fd: number | undefined;
  #unsynced = false;
  #syncing = false;
  appended = 0;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Reads every record; cuts a torn last line from the file so the next append starts clean. */
  replay(): ReplayResult<T> {
    if (!existsSync(this.file)) return { records: [], tornBytes: 0, badLines: 0 };
    const buf = readFileSync(this.file);
    const lastNl = buf.lastIndexOf(0x0a);
    const whole = lastNl + 1;
    const tornBytes = buf.length - whole;
    if (tornBytes > 0) truncateSync(this.file, whole);
    const records: T[] = [];
    let badLines = 0;
    for (const line of buf.subarray(0, whole).toString('utf8').split('\n')) {
      if (line === '') continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        badLines++;
      }
    }
    return { records, tornBytes, badLines };
  }

  /** Appends one record: when this returns it survives a SIGKILL; a power cut, once `synced`. */
  append(record: T): void {
    this.#fd ??= openSync(this.file, 'a');
    writeSync(this.#fd, JSON.stringify(record) + '\n');
    this.appended++;
    this.#unsynced = true;
    this.#sync();
  }

  /** True when every appended record has been fdatasync'd. */
  get synced(): boolean {
    return !this.#unsynced && !this.#syncing;
  }

  #sync(): void {
    if (this.#syncing || !this.#unsynced || this.#fd === undefined) return;
    const fd = this.#fd;
    this.#syncing = true;
    this.#unsynced = false;
    fdatasync(fd, (err) => {
      this.#syncing = false;
      // An fd closed meanwhile (close, compact) was synced by them: its error is moot.
      if (err && fd === this.#fd) throw err;
      this.#sync();
    });
  }

  /** Replaces the journal with `records` atomically (a crash leaves the old or the new file). */
  compact(records: readonly T[]): void {
    this.close();
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dfd = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    this.appended = 0;
  }

  close(): void {
    if (this.#fd === undefined) return;
    if (this.#unsynced || this.#syncing) fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
    this.#unsynced = false;
  }
}
