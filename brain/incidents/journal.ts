/**
 * The incidents' durable journal: append-only JSON lines, each write fsync'ed before the call
 * returns, replayed on start. A brain SIGKILL can leave a torn last line; replay cuts it off
 * (the write it belonged to never returned, so nobody was told it happened). A bad line in the
 * middle is skipped and counted. Compaction rewrites the file atomically (tmp, fsync, rename).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
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

  /** Appends one record and fsyncs: when this returns, the record survives a SIGKILL or power cut. */
  append(record: T): void {
    this.#fd ??= openSync(this.file, 'a');
    writeSync(this.#fd, JSON.stringify(record) + '\n');
    fsyncSync(this.#fd);
    this.appended++;
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
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
