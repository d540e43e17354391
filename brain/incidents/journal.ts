/**
 * The incidents' durable journal: append-only JSON lines, replayed on start. Each line is
 * written before `append` returns, so a brain SIGKILL loses nothing; the fdatasync that makes
 * it survive a power cut is group-committed on libuv's thread pool, one for every append made
 * while the previous one ran: an fsync per change on the event loop stalled the brain for
 * minutes under an alert storm (docs/benchmarks.md, "Scale"). A brain SIGKILL can leave a torn last line; replay cuts it off
 * (the write it belonged to never returned, so nobody was told it happened). A bad line in the
 * middle is skipped and counted. Compaction rewrites the file atomically (tmp, fsync, rename).
 *
 * A full or failing disk never reaches the caller: a failed write or fdatasync puts the journal
 * "behind" its owner's memory (reported through its DiskHealth), appends stop touching the file,
 * and a retry on the Clock rewrites the whole file from the owner's `snapshot()` (compaction)
 * until it succeeds. After a failed fdatasync nothing written through that fd is trusted (the
 * kernel may have dropped the pages: PostgreSQL's "fsyncgate"), hence a rewrite, not a re-sync.
 * While behind, a brain crash loses the changes since the failure: the incidents go on in memory.
 */
import { dirname } from 'node:path';
import { systemClock } from '../../lib/clock.js';
import { DiskHealth } from '../../lib/disk-health.js';
import { ensureStateDir, OPEN, openStateFile, realFs, writeFileAtomic, writeFully, type StateFs } from '../../lib/state-files.js';

export interface ReplayResult<T> {
  records: T[];
  /** Bytes cut from a torn last line. */
  tornBytes: number;
  /** Unparseable complete lines that were skipped. */
  badLines: number;
}

export interface JournalOptions<T> {
  /** Every record of the current state, to rewrite the file with after a failure. */
  snapshot: () => readonly T[];
  health?: DiskHealth;
  fs?: StateFs;
}

export class Journal<T> {
  readonly file: string;
  readonly health: DiskHealth;
  readonly #fs: StateFs;
  readonly #snapshot: () => readonly T[];
  #fd: number | undefined;
  #unsynced = false;
  #syncing = false;
  /** The file lacks changes the owner holds in memory: rewrite it from a snapshot. */
  #behind = false;
  appended = 0;

  constructor(file: string, opts: JournalOptions<T>) {
    this.file = file;
    this.#fs = opts.fs ?? realFs;
    this.#snapshot = opts.snapshot;
    this.health = opts.health ?? new DiskHealth('journal', systemClock);
    ensureStateDir(dirname(file), { fs: this.#fs });
  }

  /** Reads every record; cuts a torn last line from the file so the next append starts clean. */
  replay(): ReplayResult<T> {
    if (!this.#fs.existsSync(this.file)) return { records: [], tornBytes: 0, badLines: 0 };
    const buf = this.#fs.readFileSync(this.file);
    const lastNl = buf.lastIndexOf(0x0a);
    const whole = lastNl + 1;
    const tornBytes = buf.length - whole;
    if (tornBytes > 0) {
      try {
        this.#fs.truncateSync(this.file, whole);
      } catch (err) {
        this.#fail(err); // the rewrite will leave the torn line out
      }
    }
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

  /**
   * Appends one record: when this returns it survives a SIGKILL; a power cut, once `synced`.
   * While the disk fails, only the owner's memory has it (the rewrite will carry it).
   */
  append(record: T): void {
    if (this.#behind) return;
    try {
      this.#fd ??= openStateFile(this.file, OPEN.append, this.#fs);
      writeFully(this.#fd, Buffer.from(JSON.stringify(record) + '\n'), null, this.#fs);
    } catch (err) {
      return this.#fail(err);
    }
    this.appended++;
    this.#unsynced = true;
    this.#sync();
  }

  /** True when every change is in the file and fdatasync'd. */
  get synced(): boolean {
    return !this.#unsynced && !this.#syncing && !this.#behind;
  }

  /** The file lacks changes held in memory (the disk failed; a rewrite is pending). */
  get behind(): boolean {
    return this.#behind;
  }

  #sync(): void {
    if (this.#syncing || !this.#unsynced || this.#fd === undefined) return;
    const fd = this.#fd;
    this.#syncing = true;
    this.#unsynced = false;
    this.#fs.fdatasync(fd, (err) => {
      this.#syncing = false;
      // An fd closed meanwhile (close, compact) was synced by them: its error is moot.
      if (err && fd === this.#fd) return this.#fail(err);
      this.#sync();
    });
  }

  /**
   * Replaces the journal with `records` atomically (a crash leaves the old or the new file). A
   * failure leaves the journal behind, to be rewritten from the snapshot later.
   */
  compact(records: readonly T[]): void {
    this.#closeFd();
    try {
      this.#rewrite(records);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Closes the file; a journal still behind gets one last rewrite attempt. */
  close(): void {
    this.health.stop();
    if (this.#behind) {
      try {
        this.#rewrite(this.#snapshot());
      } catch (err) {
        this.health.count(err);
      }
      return;
    }
    if (this.#fd === undefined) return;
    if (this.#unsynced || this.#syncing) {
      try {
        this.#fs.fsyncSync(this.#fd);
      } catch (err) {
        this.health.count(err);
      }
    }
    this.#closeFd();
    this.#unsynced = false;
  }

  #fail(err: unknown): void {
    this.health.failed(this.file, err);
    this.#behind = true;
    this.#closeFd();
    this.health.retry(() => this.#catchUp());
  }

  #catchUp(): void {
    try {
      this.#rewrite(this.#snapshot());
    } catch (err) {
      return this.#fail(err);
    }
  }

  /** tmp (0600), write, fsync, rename, fsync dir; on success the journal is whole again. */
  #rewrite(records: readonly T[]): void {
    writeFileAtomic(this.file, records.map((r) => JSON.stringify(r) + '\n').join(''), this.#fs);
    this.appended = 0;
    this.#unsynced = false;
    this.#behind = false;
    this.health.ok();
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
}
