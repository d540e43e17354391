/**
 * The HTTP side's security settings from the brain config: the access control (users, tokens,
 * the session key from the state directory), the host names and origins it answers to (the
 * configured ones, plus the wall board's own from `paging.console_url`), HTTPS, and the config
 * as an admin may read it (every secret replaced).
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../lib/clock.js';
import { derivedKey } from '../../lib/secret-file.js';
import { AccessControl } from '../access/access.js';
import type { BrainConfig } from '../config.js';
import type { ApiOptions } from './api.js';
import type { ApiDeps } from './route.js';

const SECRET_KEYS = new Set(['password', 'token', 'tokens']);

export function httpAccess(config: BrainConfig, secret: Buffer, clock: Clock): Pick<ApiDeps, 'access' | 'hosts' | 'origins' | 'config'> {
  const consoleUrl = config.paging?.console_url ? new URL(config.paging.console_url) : undefined;
  const hosts = new Set(config.access.hosts.map((h) => h.toLowerCase()));
  const origins = new Set(config.access.origins.map((o) => o.toLowerCase()));
  if (consoleUrl) {
    hosts.add(consoleUrl.hostname.toLowerCase());
    origins.add(consoleUrl.origin.toLowerCase());
  }
  return { access: new AccessControl(config.access, derivedKey(secret, 'session'), clock), hosts, origins, config: () => redacted(config) };
}

export function httpTls(config: BrainConfig): ApiOptions {
  const t = config.http_tls;
  return t ? { tls: { cert: readFileSync(t.cert), key: readFileSync(t.key) } } : {};
}

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) ? '(redacted)' : redacted(v)]));
}
