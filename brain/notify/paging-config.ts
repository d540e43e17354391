/**
 * The `paging:` section of brain.yaml: its schema (shapes and defaults) and the checks a schema
 * cannot express (a route naming a channel that is not configured, day notices without email),
 * each located as file:line:field. Example and meaning of every key: docs/paging.md.
 */
import { accessSync, constants } from 'node:fs';
import { ConfigError } from '../../lib/errors.js';
import { phases } from '../calendar/phase.js';
import { severities } from '../rules/rule.js';
import { lineOfPath } from '../../lib/yaml-lines.js';
import type { Tier } from '../oncall/schedule.js';
import { CLIENT_UPDATES_ROUTE } from './client-updates.js';
import { DAY_NOTICES_ROUTE } from './day-notices.js';
import { DEFAULT_ROUTE_NAME, type Route, type RouteMatch } from './routing.js';

export interface ClientContact {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export interface PagingConfig {
  schedule: string;
  settle_ms: number;
  console_url?: string;
  /** The calendar market whose phase routes match on; absent: the calendar's default market. */
  market?: string;
  escalation: { steps: { tier: Tier; after_s: number }[]; repeat_every_s: number; max_repeats: number };
  retry: { fallback_after_s: number; initial_backoff_ms: number };
  snpp?: { host: string; port: number; login?: string; hylafax_queue: boolean; max_length: number };
  email?: { host: string; port: number; from: string; ignore_tls: boolean };
  webhook?: {
    url: string;
    format: 'floorwatch' | 'chat';
    headers: Record<string, string>;
    timeout_ms: number;
    fallback_after_s?: number;
    tls?: { ca_file?: string; cert_file?: string; key_file?: string; servername?: string };
  };
  routes: Route[];
  client_updates?: { every_s: number; impacting: RouteMatch; clients: ClientContact[] };
  day_notices?: { to: ClientContact[]; bod: boolean; eod: boolean };
  /** Acknowledgement by replying to a page mail (brain/notify/reply-ack.ts). */
  reply_ack?: { listen: string; address: string };
}

const tier = { enum: ['first-line', 'back-line', 'support-manager'] };
const patterns = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } };
const matchSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    severity: { type: 'array', minItems: 1, items: { enum: [...severities] } },
    phase: { type: 'array', minItems: 1, items: { enum: [...phases] } },
    team: patterns,
    component: patterns,
    host: patterns,
    labels: { type: 'object', minProperties: 1, additionalProperties: patterns },
  },
};
const escalationSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    steps: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tier', 'after_s'],
        properties: { tier, after_s: { type: 'integer', minimum: 0 } },
      },
      default: [
        { tier: 'first-line', after_s: 0 },
        { tier: 'back-line', after_s: 600 },
        { tier: 'support-manager', after_s: 1200 },
      ],
    },
    repeat_every_s: { type: 'integer', minimum: 10, default: 300 },
    max_repeats: { type: 'integer', minimum: 0, default: 3 },
  },
};
const contacts = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'email'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
      name: { type: 'string', minLength: 1 },
      email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
    },
  },
};

export const pagingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['schedule'],
  properties: {
    schedule: { type: 'string', minLength: 1 },
    settle_ms: { type: 'integer', minimum: 0, maximum: 60_000, default: 250 },
    console_url: { type: 'string' },
    market: { type: 'string', minLength: 1 },
    escalation: escalationSchema,
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        fallback_after_s: { type: 'integer', minimum: 1, default: 60 },
        initial_backoff_ms: { type: 'integer', minimum: 10, default: 2000 },
      },
    },
    snpp: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        login: { type: 'string' },
        hylafax_queue: { type: 'boolean', default: true },
        max_length: { type: 'integer', minimum: 20, maximum: 1000, default: 128 },
      },
    },
    email: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port', 'from'],
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        from: { type: 'string' },
        ignore_tls: { type: 'boolean', default: false },
      },
    },
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://[^\\s]+$' },
        format: { enum: ['floorwatch', 'chat'], default: 'floorwatch' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
        timeout_ms: { type: 'integer', minimum: 100, maximum: 60_000, default: 5_000 },
        fallback_after_s: { type: 'integer', minimum: 1 },
        tls: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ca_file: { type: 'string', minLength: 1 },
            cert_file: { type: 'string', minLength: 1 },
            key_file: { type: 'string', minLength: 1 },
            servername: { type: 'string', minLength: 1 },
          },
        },
      },
    },
    routes: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
          match: matchSchema,
          urgency: { enum: ['high', 'low'], default: 'high' },
          schedule: { type: 'string', minLength: 1 },
          channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['snpp', 'email', 'webhook'] } },
          escalation: escalationSchema,
        },
      },
    },
    client_updates: {
      type: 'object',
      additionalProperties: false,
      required: ['impacting', 'clients'],
      properties: { every_s: { type: 'integer', minimum: 60, default: 900 }, impacting: matchSchema, clients: contacts },
    },
    reply_ack: {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      // Loopback by default: the floor's mail relay delivers replies here; nobody else should reach it.
      properties: {
        listen: { type: 'string', pattern: '^[^\\s]+:\\d+$', default: '127.0.0.1:2525' },
        address: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
      },
    },
    day_notices: {
      type: 'object',
      additionalProperties: false,
      required: ['to'],
      properties: { to: contacts, bod: { type: 'boolean', default: true }, eod: { type: 'boolean', default: true } },
    },
  },
};

/** Cross-field checks, after the schema; `text` and `file` locate the offending line. */
export function checkPagingConfig(paging: PagingConfig | undefined, text: string, file: string): void {
  if (!paging) return;
  const fail = (path: (string | number)[], problem: string): never => {
    const full = ['paging', ...path];
    throw new ConfigError(file, lineOfPath(text, full), full.join('.'), problem);
  };
  const configured = new Set([paging.snpp ? 'snpp' : '', paging.email ? 'email' : '', paging.webhook ? 'webhook' : ''].filter(Boolean));
  const tls = paging.webhook?.tls;
  if (tls && (tls.cert_file === undefined) !== (tls.key_file === undefined))
    fail(['webhook', 'tls'], 'cert_file and key_file go together (a client certificate needs its key)');
  if (tls && !paging.webhook!.url.startsWith('https:')) fail(['webhook', 'tls'], 'TLS options need an https:// url');
  for (const field of ['ca_file', 'cert_file', 'key_file'] as const) {
    const path = tls?.[field];
    if (path !== undefined && !isReadable(path)) fail(['webhook', 'tls', field], `cannot read ${path}`);
  }
  const names = new Set<string>([DEFAULT_ROUTE_NAME, CLIENT_UPDATES_ROUTE, DAY_NOTICES_ROUTE]);
  paging.routes.forEach((route, i) => {
    if (names.has(route.name))
      fail(
        ['routes', i, 'name'],
        `route "${route.name}" is defined twice or is a reserved name (${DEFAULT_ROUTE_NAME}, ${CLIENT_UPDATES_ROUTE}, ${DAY_NOTICES_ROUTE})`,
      );
    names.add(route.name);
    route.channels?.forEach((c, j) => {
      if (!configured.has(c)) fail(['routes', i, 'channels', j], `channel "${c}" is not configured (no paging.${c} section)`);
    });
    if (route.match === undefined && i < paging.routes.length - 1)
      fail(['routes', i, 'match'], 'only the last route may match everything (the routes after it could never match)');
  });
  if (paging.client_updates && !paging.email) fail(['client_updates'], 'client updates are sent by email: add a paging.email section');
  if (paging.day_notices && !paging.email) fail(['day_notices'], 'day notices are sent by email: add a paging.email section');
  if (paging.reply_ack && !paging.email) fail(['reply_ack'], 'acknowledgement by reply answers page mails: add a paging.email section');
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
