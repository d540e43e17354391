/**
 * The `access` section of the brain config: who may use the HTTP API and the wall board.
 *
 *   access:
 *     anonymous_read: false          # true: reads without credentials see what a viewer sees (never writes)
 *     session_ttl: 12h               # a wall-board login lasts this long, renewed while the board is in use
 *     hosts: [wallboard.floor]       # Host names the API answers to besides IP addresses and localhost
 *     origins: []                    # other origins allowed to send writes (a TLS proxy's public origin)
 *     users:
 *       alice: {role: operator, password: "scrypt$...", tokens: ["sha256$..."]}
 */
import { durationSchema, parseDuration } from '../../lib/duration.js';
import type { ConfigProblem } from '../../lib/config-file.js';
import { passwordHashProblem, PASSWORD_HASH_PATTERN, TOKEN_HASH_PATTERN } from './credentials.js';
import { ROLES, type Role } from './roles.js';

export interface AccessUser {
  role: Role;
  /** scrypt hash (credentials.ts); absent: this user signs in with tokens only. */
  password?: string;
  /** SHA-256 hashes of the user's API tokens. */
  tokens: string[];
}

export interface AccessConfig {
  anonymous_read: boolean;
  session_ttl: string;
  hosts: string[];
  origins: string[];
  users: Record<string, AccessUser>;
}

export const USER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

export const accessSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    anonymous_read: { type: 'boolean', default: false },
    session_ttl: { ...durationSchema, default: '12h' },
    hosts: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,253}$' }, default: [] },
    origins: { type: 'array', items: { type: 'string', pattern: '^https?://[^/\\s]+$' }, default: [] },
    users: {
      type: 'object',
      default: {},
      propertyNames: { pattern: USER_NAME_PATTERN },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['role'],
        properties: {
          role: { enum: [...ROLES] },
          password: { type: 'string', pattern: PASSWORD_HASH_PATTERN },
          tokens: { type: 'array', items: { type: 'string', pattern: TOKEN_HASH_PATTERN }, default: [] },
        },
      },
    },
  },
} as const;

/** What the schema cannot check: scrypt costs in range, a token given to two users, a sane session length. */
export function accessProblem(a: AccessConfig | undefined): ConfigProblem | undefined {
  if (!a) return undefined;
  const ttl = parseDuration(a.session_ttl);
  if (ttl < 60_000 || ttl > 30 * 86_400_000) return { path: ['access', 'session_ttl'], problem: 'must be from 1m to 30d' };
  const owner = new Map<string, string>();
  for (const [name, u] of Object.entries(a.users)) {
    const bad = u.password === undefined ? undefined : passwordHashProblem(u.password);
    if (bad) return { path: ['access', 'users', name, 'password'], problem: bad };
    for (const [i, t] of u.tokens.entries()) {
      const other = owner.get(t);
      if (other)
        return { path: ['access', 'users', name, 'tokens', i], problem: `the same token is also ${other}'s: each token names one user` };
      owner.set(t, name);
    }
  }
  return undefined;
}
