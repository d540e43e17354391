/**
 * A file's identity across renames and compression: the hash of its first bytes (of the
 * uncompressed content) plus, for plain files, its inode. The inode alone is not enough: with
 * compress+delaycompress the kernel can hand a freed inode straight to the new log file.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';

/** Bytes hashed once the file has that many; shorter files are identified by what they have. */
export const FP_BYTES = 256;

export interface Identity {
  ino: number;
  dev: number;
  /** How many leading bytes the hash covers (grows to FP_BYTES as the file grows). */
  fpLen: number;
  fpHash: string;
}

export function hashPrefix(head: Buffer, len: number): string {
  return createHash('sha1').update(head.subarray(0, len)).digest('hex');
}

export function readHeadFd(fd: number, len = FP_BYTES): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export function identityOfFd(fd: number): Identity {
  return identityAndHeadOfFd(fd).id;
}

/** The identity plus the head bytes it was hashed from (kept to compare against later, cheaper than hashing). */
export function identityAndHeadOfFd(fd: number): { id: Identity; head: Buffer } {
  const st = fstatSync(fd);
  const head = readHeadFd(fd);
  return { id: { ino: st.ino, dev: st.dev, fpLen: head.length, fpHash: hashPrefix(head, head.length) }, head };
}

/** The first uncompressed bytes of a .gz, even while gzip is still writing it. */
export function readHeadGz(path: string, len = FP_BYTES): Buffer {
  const fd = openSync(path, 'r');
  try {
    const compressed = readHeadFd(fd, 64 * 1024);
    const out = gunzipSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
    return out.subarray(0, len);
  } finally {
    closeSync(fd);
  }
}

/** Whether `head` begins with the bytes the identity's hash was taken over. */
export function headMatches(head: Buffer, id: Identity): boolean {
  return id.fpLen > 0 && head.length >= id.fpLen && hashPrefix(head, id.fpLen) === id.fpHash;
}
