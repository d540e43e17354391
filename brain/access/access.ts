/**
 * Who is asking: an API token (scripts and the CLI: `Authorization: Bearer fwt_...`), a wall-board
 * session cookie (after a login with a password), or nobody, who reads as a viewer only where the
 * config allows anonymous reads. Built once from the config; the users and their hashes never
 * leave this module.
 */
import type { Clock } from '../../lib/clock.js';
import { parseDuration } from '../../lib/duration.js';
import type { AccessConfig, AccessUser } from './access-config.js';
import { hashToken, verifyPassword } from './credentials.js';
import { fingerprint, signSession, verifySession } from './session-cookie.js';
import type { Role } from './roles.js';

export interface Identity {
  /** The user name: what the incident timeline records as the actor. */
  readonly name: string;
  readonly role: Role;
  readonly via: 'token' | 'session' | 'anonymous';
}

export const ANONYMOUS: Identity = { name: 'anonymous', role: 'viewer', via: 'anonymous' };

/** Logins hashing at once; more are answered "busy" (each costs ~32 MiB and ~0.1 s of a core). */
const MAX_CONCURRENT_LOGINS = 2;
/** Hashed for an unknown user, so a login takes as long whether or not the user exists. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export type LoginResult = { ok: true; identity: Identity; cookie: string } | { ok: false; why: 'refused' | 'busy' };

export class AccessControl {
  readonly #users: Map<string, AccessUser>;
  readonly #byTokenHash = new Map<string, string>();
  readonly #key: Buffer;
  readonly #clock: Clock;
  readonly ttlMs: number;
  readonly anonymousRead: boolean;
  #loginsInFlight = 0;

  constructor(config: AccessConfig, sessionKey: Buffer, clock: Clock) {
    this.#users = new Map(Object.entries(config.users));
    for (const [name, u] of this.#users) for (const t of u.tokens) this.#byTokenHash.set(t, name);
    this.#key = sessionKey;
    this.#clock = clock;
    this.ttlMs = parseDuration(config.session_ttl);
    this.anonymousRead = config.anonymous_read;
  }

  /** The token's user, or undefined for an unknown or malformed token. */
  byToken(token: string): Identity | undefined {
    const hash = hashToken(token);
    const name = hash === undefined ? undefined : this.#byTokenHash.get(hash);
    return name === undefined ? undefined : this.#identity(name, 'token');
  }

  /** The session's user and whether its cookie should be renewed (past half its life), or undefined. */
  bySession(cookie: string): { identity: Identity; renew: string | undefined } | undefined {
    const now = this.#clock.now();
    const claim = verifySession(this.#key, cookie, now, this.ttlMs, (user) => this.#fingerprint(user));
    if (!claim) return undefined;
    const identity = this.#identity(claim.user, 'session')!;
    const renew = now - claim.issuedMs > this.ttlMs / 2 ? this.#issue(claim.user) : undefined;
    return { identity, renew };
  }

  async login(user: string, password: string): Promise<LoginResult> {
    if (this.#loginsInFlight >= MAX_CONCURRENT_LOGINS) return { ok: false, why: 'busy' };
    this.#loginsInFlight++;
    try {
      const stored = this.#users.get(user)?.password;
      const ok = await verifyPassword(password, stored ?? DUMMY_HASH);
      if (!ok || stored === undefined) return { ok: false, why: 'refused' };
      return { ok: true, identity: this.#identity(user, 'session')!, cookie: this.#issue(user) };
    } finally {
      this.#loginsInFlight--;
    }
  }

  #issue(user: string): string {
    return signSession(this.#key, user, this.#clock.now(), this.#fingerprint(user)!);
  }

  #fingerprint(user: string): string | undefined {
    const u = this.#users.get(user);
    return u && u.password !== undefined ? fingerprint(u.role, u.password) : undefined;
  }

  #identity(name: string, via: Identity['via']): Identity | undefined {
    const u = this.#users.get(name);
    return u ? { name, role: u.role, via } : undefined;
  }
}
