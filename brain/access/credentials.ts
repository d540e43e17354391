/**
 * Credentials at rest: passwords as scrypt hashes (node:crypto, built in: no native module to
 * build, and scrypt is memory-hard, so a stolen config is slow to brute-force), API tokens as
 * SHA-256 hashes. Tokens are 256 random bits, so a fast hash is enough for them and a request
 * costs one hash, not an scrypt; passwords are chosen by people and need the slow one.
 *
 *   password: scrypt$<N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 *   token:    sha256$<64 hex digits>        (the token itself: fwt_<43 base64url characters>)
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** N = 2^15, r = 8: 32 MiB and about 0.1 s per hash on one core; stored in each hash, so raising it later keeps old hashes valid. */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const PASSWORD_HASH_PATTERN = '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9_-]{16,}\\$[A-Za-z0-9_-]{43}$';
export const TOKEN_HASH_PATTERN = '^sha256\\$[0-9a-f]{64}$';
const TOKEN_SHAPE = /^fwt_[A-Za-z0-9_-]{43}$/;

interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function scrypt(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, DEFAULT_COST);
  return ['scrypt', DEFAULT_COST.N, DEFAULT_COST.r, DEFAULT_COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Why a stored password hash is unusable (the config check names the field), or undefined. */
export function passwordHashProblem(stored: string): string | undefined {
  const h = parsePasswordHash(stored);
  if (!h) return 'is not a password hash (make one with `floorwatch access hash-password`)';
  // Bounded so a config cannot make each login cost seconds and gigabytes.
  if (!(h.N >= 2 ** 14 && h.N <= 2 ** 18 && (h.N & (h.N - 1)) === 0)) return `scrypt N=${h.N} must be a power of two from 2^14 to 2^18`;
  if (h.r < 1 || h.r > 16 || h.p < 1 || h.p > 4) return `scrypt r=${h.r}, p=${h.p} out of range (r 1..16, p 1..4)`;
  return undefined;
}

function parsePasswordHash(stored: string): PasswordHash | undefined {
  if (!new RegExp(PASSWORD_HASH_PATTERN).test(stored)) return undefined;
  const [, n, r, p, salt, hash] = stored.split('$');
  return { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'base64url'), hash: Buffer.from(hash!, 'base64url') };
}

/** Constant-time on the hash; false for a malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = passwordHashProblem(stored) === undefined ? parsePasswordHash(stored) : undefined;
  if (!h) return false;
  const got = await scrypt(password, h.salt, h);
  return got.length === h.hash.length && timingSafeEqual(got, h.hash);
}

export function mintToken(): string {
  return `fwt_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token; undefined for something that is not one (never hashed, never looked up). */
export function hashToken(token: string): string | undefined {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return `sha256$${createHash('sha256').update(token).digest('hex')}`;
}
