/**
 * A StateFs (lib/state-files.ts) that is node:fs until told to fail: then the calls a rule picks
 * throw (or call back with) an errno error, ENOSPC or EIO, exactly where a full or dying disk
 * would. The storage classes' unit tests use it beside the real full filesystems of the
 * scenario tests (test/scenarios/state-disk-full.test.ts), which cannot produce EIO on demand.
 */
import * as fs from 'node:fs';
import type { StateFs } from '../../lib/state-files.js';

export type FsCall = keyof StateFs;
/** Picks the calls to fail: returns the errno code, or undefined to let the call through. */
export type FaultRule = (call: FsCall, path: string) => string | undefined;

const WRITES: readonly FsCall[] = ['write', 'writeSync'];
const SYNCS: readonly FsCall[] = ['fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync'];
const CREATES: readonly FsCall[] = ['openSync', 'renameSync', 'mkdirSync'];

/** Rules for the usual faults. */
export const faults = {
  /** Writes and new files fail with ENOSPC (syncs of what was written succeed). */
  diskFull: ((call, path) => (WRITES.includes(call) || (call === 'openSync' && !fs.existsSync(path)) ? 'ENOSPC' : undefined)) as FaultRule,
  /** Every write and sync fails with EIO. */
  ioError: ((call) => (WRITES.includes(call) || SYNCS.includes(call) ? 'EIO' : undefined)) as FaultRule,
  /** Only fsync/fdatasync fail (the write reached the page cache; writeback failed). */
  syncError: ((call) => (SYNCS.includes(call) ? 'EIO' : undefined)) as FaultRule,
  /** Creating or renaming files fails (no inode or block for a new directory entry). */
  noNewFiles: ((call, path) => (CREATES.includes(call) && !fs.existsSync(path) ? 'ENOSPC' : undefined)) as FaultRule,
};

function errnoError(code: string, call: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${call} '${path}'`), { code, syscall: call, path });
}

export class FaultyFs {
  #rule: FaultRule | undefined;
  /** The first failing write writes half its bytes and returns that count (a short write). */
  #shortFirst = false;
  readonly #paths = new Map<number, string>();
  /** Calls that were failed, in order: "fdatasync /tmp/x/spool-1.seg ENOSPC". */
  readonly failed: string[] = [];
  /** Every fsync/fdatasync that went through, by path ("fsyncSync /tmp/x" for a directory). */
  readonly synced: string[] = [];
  readonly fs: StateFs;

  constructor() {
    const self = this;
    const pathOf = (fd: number) => this.#paths.get(fd) ?? `fd ${fd}`;
    const check = (call: FsCall, path: string): NodeJS.ErrnoException | undefined => {
      const code = self.#rule?.(call, path);
      if (!code) {
        if (SYNCS.includes(call)) self.synced.push(`${call} ${path}`);
        return undefined;
      }
      self.failed.push(`${call} ${path} ${code}`);
      return errnoError(code, call, path);
    };
    const sync =
      <A extends unknown[], R>(call: FsCall, fn: (...a: A) => R, path: (...a: A) => string) =>
      (...a: A): R => {
        const err = check(call, path(...a));
        if (err) throw err;
        return fn(...a);
      };
    const byPath = (p: unknown) => String(p);
    this.fs = {
      ...fs,
      openSync: ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
        const err = check('openSync', String(p));
        if (err) throw err;
        const fd = fs.openSync(p, flags ?? 'r', mode);
        self.#paths.set(fd, String(p));
        return fd;
      }) as typeof fs.openSync,
      closeSync: (fd: number) => {
        self.#paths.delete(fd);
        fs.closeSync(fd);
      },
      writeSync: ((fd: number, buf: NodeJS.ArrayBufferView | string, ...rest: unknown[]) => {
        const err = check('writeSync', pathOf(fd));
        if (err && self.#shortFirst && typeof buf !== 'string') {
          self.#shortFirst = false;
          const [offset = 0, length = buf.byteLength - (offset as number), position] = rest as [number?, number?, number?];
          return fs.writeSync(fd, buf, offset, Math.floor(length / 2), position);
        }
        if (err) throw err;
        return (fs.writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
      }) as typeof fs.writeSync,
      write: ((fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (err: Error | null, n: number) => void) => {
        const err = check('write', pathOf(fd));
        if (err && self.#shortFirst) {
          self.#shortFirst = false;
          return fs.write(fd, buf, offset, Math.floor(length / 2), position, cb);
        }
        if (err) return void setImmediate(() => cb(err, 0));
        fs.write(fd, buf, offset, length, position, cb);
      }) as typeof fs.write,
      fsync: ((fd: number, cb: (err: Error | null) => void) => {
        const err = check('fsync', pathOf(fd));
        if (err) return void setImmediate(() => cb(err));
        fs.fsync(fd, cb);
      }) as typeof fs.fsync,
      fdatasync: ((fd: number, cb: (err: Error | null) => void) => {
        const err = check('fdatasync', pathOf(fd));
        if (err) return void setImmediate(() => cb(err));
        fs.fdatasync(fd, cb);
      }) as typeof fs.fdatasync,
      fsyncSync: sync('fsyncSync', fs.fsyncSync, pathOf),
      fdatasyncSync: sync('fdatasyncSync', fs.fdatasyncSync, pathOf),
      ftruncateSync: sync('ftruncateSync', fs.ftruncateSync, pathOf),
      truncateSync: sync('truncateSync', fs.truncateSync, byPath),
      renameSync: sync('renameSync', fs.renameSync, (_from, to) => String(to)),
      unlinkSync: sync('unlinkSync', fs.unlinkSync, byPath),
      mkdirSync: sync('mkdirSync', fs.mkdirSync, byPath) as typeof fs.mkdirSync,
    };
  }

  /** Fails what `rule` picks from now on; `short`: the first failing write is short instead. */
  fail(rule: FaultRule, opts: { short?: boolean } = {}): void {
    this.#rule = rule;
    this.#shortFirst = opts.short ?? false;
  }

  /** The disk works again. */
  heal(): void {
    this.#rule = undefined;
  }
}
