/**
 * How floorwatch keeps its state files (the brain's spool, journal, outbox and checkpoints, the
 * agent's queue and offsets): private to the service user (directories 0700, files 0600, symlinks
 * never followed when a file is created), and every new file's directory entry fsync'ed, since a
 * file fsync'ed in a directory that was not can vanish on power loss.
 *
 * The storage classes do their I/O through a `StateFs` (node:fs by default), the seam their
 * tests use to inject ENOSPC and EIO on the exact call that would fail on a full or dying disk.
 */
import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';

export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

/** The node:fs calls the storage classes make; tests substitute a failing wrapper. */
export type StateFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'closeSync'
  | 'writeSync'
  | 'readSync'
  | 'readFileSync'
  | 'fsyncSync'
  | 'fdatasyncSync'
  | 'ftruncateSync'
  | 'truncateSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'statSync'
  | 'existsSync'
  | 'readdirSync'
  | 'mkdirSync'
  | 'chmodSync'
  | 'fchmodSync'
  | 'write'
  | 'fsync'
  | 'fdatasync'
>;

export const realFs: StateFs = nodeFs;

const { O_CREAT, O_WRONLY, O_RDWR, O_APPEND, O_TRUNC, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = nodeFs.constants;

/** Open flags for a state file: created 0600 if missing, never through a symlink. */
export const OPEN = {
  /** Append-only (journals). */
  append: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
  /** Rewritten in place at explicit offsets (segments, slots). */
  readWrite: O_RDWR | O_CREAT | O_NOFOLLOW,
  /** A new or emptied file (segments, temp files). */
  create: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
} as const;

/**
 * A state directory, created 0700. `own`: a directory only floorwatch uses (the spool, the
 * queue), tightened to 0700 if an older version created it under the umask; a configured
 * state_dir is not, since it may be a directory others share.
 */
export function ensureStateDir(dir: string, opts: { own?: boolean; fs?: StateFs } = {}): void {
  const fs = opts.fs ?? realFs;
  fs.mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  if (opts.own) fs.chmodSync(dir, STATE_DIR_MODE);
}

/**
 * Opens a state file with `flags` (see OPEN), mode 0600; a file created before this rule (0644
 * under the usual umask) is tightened to 0600.
 */
export function openStateFile(path: string, flags: number, fs: StateFs = realFs): number {
  const fd = fs.openSync(path, flags, STATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, STATE_FILE_MODE);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** fsync a directory, so the entries created, renamed or removed in it survive power loss. */
export function fsyncDir(dir: string, fs: StateFs = realFs): void {
  const fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes all of `data` at `position` (a write may be short on a nearly full disk: the rest is
 * retried, and the error that stops it is thrown).
 */
export function writeFully(fd: number, data: Uint8Array, position: number | null, fs: StateFs = realFs): void {
  let done = 0;
  while (done < data.length) {
    const n = fs.writeSync(fd, data, done, data.length - done, position === null ? null : position + done);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    done += n;
  }
}

/**
 * Replaces `path` with `data` atomically and durably: temp file (0600), fsync, rename, fsync of
 * the directory. A crash leaves the old or the new file; an error leaves the old one and throws.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, fs: StateFs = realFs): void {
  const tmp = `${path}.tmp`;
  const fd = openStateFile(tmp, OPEN.create, fs);
  try {
    writeFully(fd, typeof data === 'string' ? Buffer.from(data) : data, 0, fs);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp); // a half-written temp file would only hold space the disk lacks
    } catch {
      // gone already, or the disk refuses that too: the next attempt truncates it
    }
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
  fsyncDir(dirname(path), fs);
}

/** The errno code of a failed file operation ('UNKNOWN' when the error carries none). */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** ENOSPC or EDQUOT: the disk (or the user's quota) is full, as opposed to failing. */
export function isNoSpace(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}
