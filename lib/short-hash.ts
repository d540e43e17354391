import { createHash } from 'node:crypto';

/** sha256, first 16 hex digits: what `sha256sum FILE | cut -c1-16` prints (config digests in the fleet inventory). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
