/**
 * The wall board's login session, kept in the cookie itself and signed (HMAC-SHA256 with a key
 * from the state directory), so it survives a brain restart and the brain keeps no session table
 * to bound. It carries the user, when it was issued, and a fingerprint of the user's role and
 * password hash: changing either in the config ends that user's sessions.
 *
 *   fw_session=<user, base64url>.<issued ms, base36>.<fingerprint>.<mac>
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'fw_session';
/** A session issued this far in the future (clock stepped back) is refused. */
const CLOCK_SLACK_MS = 60_000;

export interface SessionClaim {
  readonly user: string;
  readonly issuedMs: number;
}

export function fingerprint(role: string, password: string | undefined): string {
  return createHash('sha256')
    .update(`${role}\0${password ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
}

export function signSession(key: Buffer, user: string, issuedMs: number, fp: string): string {
  const payload = `${Buffer.from(user).toString('base64url')}.${issuedMs.toString(36)}.${fp}`;
  return `${payload}.${mac(key, payload)}`;
}

/**
 * The claim of a well-formed, correctly signed, unexpired cookie value whose fingerprint is the
 * user's current one (`currentFp` answers it per user), or undefined.
 */
export function verifySession(
  key: Buffer,
  value: string,
  now: number,
  ttlMs: number,
  currentFp: (user: string) => string | undefined,
): SessionClaim | undefined {
  const parts = value.split('.');
  if (parts.length !== 4 || value.length > 512) return undefined;
  const [userB64, issued36, fp, sig] = parts as [string, string, string, string];
  const payload = `${userB64}.${issued36}.${fp}`;
  const want = Buffer.from(mac(key, payload));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  const user = Buffer.from(userB64, 'base64url').toString('utf8');
  const issuedMs = parseInt(issued36, 36);
  if (!Number.isSafeInteger(issuedMs) || issuedMs > now + CLOCK_SLACK_MS || now - issuedMs >= ttlMs) return undefined;
  if (currentFp(user) !== fp) return undefined;
  return { user, issuedMs };
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** The named cookie from a Cookie header (the first one, as browsers send the most specific first). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
