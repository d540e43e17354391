/**
 * The plant's shape: provider, feed-handler pair, ticker-plant pair, desks. Loaded from YAML
 * through lib/config-file.ts (errors name file:line:field); with no file, the embedded
 * defaults run a whole small plant on 127.0.0.1.
 */
import { parseConfigText, readConfigText } from '../lib/config-file.js';
import { ConfigError } from '../lib/errors.js';
import { lineOfPath } from '../lib/yaml-lines.js';
import { parseEndpoint, type Endpoint } from './net/udp.js';

export interface MemberConfig {
  id: string;
  rank: number;
  port: number;
}

export interface PlantConfig {
  name: string;
  host: string;
  symbols: { count: number; prefix: string };
  health: { targets: string[]; interval_ms: number };
  pairing: { heartbeat_ms: number; missed_heartbeats: number };
  stale_after_ms: number;
  /** A component without live data yet is `starting`, not stale, for at most this long after start (plant/health/warm-up.ts). */
  startup_grace_ms: number;
  delivery: {
    max_records_per_datagram: number;
    coalesce_ms: number;
    ring_datagrams: number;
    ring_bytes: number;
    nak_retry_ms: number;
    max_nak_retries: number;
    max_held_records: number;
    max_nak_records: number;
    join_backlog_records: number;
    drop_fraction: number;
    socket_buffer_bytes: number;
    session_timeout_ms: number;
  };
  provider: {
    id: string;
    rate: number;
    count: number;
    control_port: number;
    open_burst: { factor: number; ms: number };
    lines: { name: string; port: number; to: string }[];
  };
  feed_handlers: { pair: string; members: MemberConfig[] };
  ticker_plants: { pair: string; members: MemberConfig[] };
  subscribers: { id: string; port: number; symbols: string[] }[];
  /** The FIX 4.4 order session pair (plant/fix/): a venue gateway (acceptor) and the floor's order router (initiator). */
  fix: FixPairConfig;
}

export interface FixPairConfig {
  /** TCP port the venue gateway accepts on (127.0.0.1 unless `host` says otherwise). */
  port: number;
  /** UDP port of the venue's control socket (drills: slow, logout, gap, normal). */
  control_port: number;
  venue: { id: string; comp_id: string };
  router: { id: string; comp_id: string };
  heartbeat_s: number;
  orders_per_s: number;
  /** The router's own TestRequest every this often: the round trip floor support watches (seed 001). */
  test_request_ms: number;
  reconnect_ms: number;
  /** Each side's engine message log goes here as jsfix.<id>.txt (jspurefix's own format). */
  log_dir: string;
  /** The field delimiter each side logs with: jspurefix's default `|`, or SOH as on the wire. */
  log_delimiter: { venue: 'pipe' | 'soh'; router: 'pipe' | 'soh' };
}

const int = (minimum: number, dflt?: number) => ({ type: 'integer', minimum, ...(dflt === undefined ? {} : { default: dflt }) });
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const member = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'port'],
  properties: { id, rank: int(0, 0), port },
};
const pairOf = (pair: string, defaults: MemberConfig[]) => ({
  type: 'object',
  additionalProperties: false,
  default: { pair, members: defaults },
  properties: { pair: { ...id, default: pair }, members: { type: 'array', minItems: 1, maxItems: 2, items: member, default: defaults } },
});

export const plantSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { ...id, default: 'plant' },
    host: { type: 'string', default: '127.0.0.1' },
    symbols: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { count: { ...int(1, 50), maximum: 100000 }, prefix: { type: 'string', pattern: '^[A-Z]{1,8}$', default: 'SYM' } },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        targets: { type: 'array', items: { type: 'string', pattern: '^.+:\\d{1,5}$' }, default: ['127.0.0.1:7390'] },
        interval_ms: { ...int(10, 100), maximum: 60000 },
      },
    },
    pairing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      // Pair heartbeats run on their own, faster schedule than health heartbeats: takeover comes
      // missed_heartbeats × heartbeat_ms (4 × 25 = 100 ms) after the last one heard, i.e. well
      // inside 3 health intervals (300 ms) even when a crash falls just after a heartbeat.
      properties: { heartbeat_ms: { ...int(5, 25), maximum: 10000 }, missed_heartbeats: { ...int(1, 4), maximum: 100 } },
    },
    stale_after_ms: int(10, 1000),
    startup_grace_ms: { ...int(0, 10000), maximum: 600000 },
    delivery: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_records_per_datagram: { ...int(1, 100), maximum: 1000 },
        // Ticker plant → desks: a busy stream's datagrams leave at most this often (0: at the end of every event-loop turn).
        coalesce_ms: { ...int(0, 0), maximum: 100 },
        ring_datagrams: int(16, 8192),
        // Each stream's retransmission ring is one slab of this many bytes (16 MiB: 3 s of a 100,000/s stream).
        ring_bytes: { ...int(65536, 16777216), maximum: 1073741824 },
        nak_retry_ms: int(1, 15),
        max_nak_retries: int(1, 40),
        max_held_records: int(64, 262144),
        max_nak_records: int(1, 2048),
        join_backlog_records: int(0, 20000),
        drop_fraction: { type: 'number', minimum: 0, maximum: 0.9, default: 0 },
        socket_buffer_bytes: int(65536, 4194304),
        session_timeout_ms: int(100, 5000),
      },
    },
    provider: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        id: { ...id, default: 'provider' },
        rate: { type: 'number', minimum: 0, maximum: 10000000, default: 1000 },
        count: int(0, 0),
        control_port: { ...port, default: 7300 },
        open_burst: {
          type: 'object',
          additionalProperties: false,
          default: { factor: 1, ms: 0 },
          properties: { factor: { type: 'number', minimum: 1, default: 1 }, ms: int(0, 0) },
        },
        lines: {
          type: 'array',
          minItems: 1,
          maxItems: 2,
          default: [
            { name: 'a', port: 7301, to: 'fh-a' },
            { name: 'b', port: 7302, to: 'fh-b' },
          ],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'port', 'to'],
            properties: { name: id, port, to: id },
          },
        },
      },
    },
    feed_handlers: pairOf('fh', [
      { id: 'fh-a', rank: 0, port: 7310 },
      { id: 'fh-b', rank: 1, port: 7311 },
    ]),
    ticker_plants: pairOf('tp', [
      { id: 'tp-a', rank: 0, port: 7320 },
      { id: 'tp-b', rank: 1, port: 7321 },
    ]),
    fix: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        port: { ...port, default: 7340 },
        control_port: { ...port, default: 7341 },
        venue: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { id: { ...id, default: 'fix-venue' }, comp_id: { ...id, default: 'VENUE-GW' } },
        },
        router: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { id: { ...id, default: 'fix-router' }, comp_id: { ...id, default: 'FLOOR-OMS' } },
        },
        heartbeat_s: { ...int(1, 5), maximum: 300 },
        orders_per_s: { type: 'number', minimum: 0, maximum: 10000, default: 5 },
        test_request_ms: { ...int(0, 1000), maximum: 600000 },
        reconnect_ms: { ...int(100, 1000), maximum: 600000 },
        log_dir: { type: 'string', minLength: 1, default: 'fix-logs' },
        log_delimiter: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { venue: { enum: ['pipe', 'soh'], default: 'soh' }, router: { enum: ['pipe', 'soh'], default: 'pipe' } },
        },
      },
    },
    subscribers: {
      type: 'array',
      default: [
        { id: 'ws-1', port: 7331, symbols: ['*'] },
        { id: 'ws-2', port: 7332, symbols: ['*'] },
      ],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'port'],
        properties: { id, port, symbols: { type: 'array', minItems: 1, items: { type: 'string' }, default: ['*'] } },
      },
    },
  },
} as const;

export function loadPlantConfig(file?: string): PlantConfig {
  return file ? parsePlantConfig(readConfigText(file), file) : parsePlantConfig('{}', '(embedded defaults)');
}

export function parsePlantConfig(text: string, source: string): PlantConfig {
  const cfg = parseConfigText<PlantConfig>(text, plantSchema, source);
  checkReferences(cfg, text, source);
  return cfg;
}

/** Cross-field checks JSON schema cannot express: unique ids and ports, lines point at feed handlers. */
function checkReferences(cfg: PlantConfig, text: string, file: string): void {
  const fail = (field: string, problem: string) =>
    new ConfigError(
      file,
      lineOfPath(
        text,
        field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
      ),
      field,
      problem,
    );
  const fhIds = new Set(cfg.feed_handlers.members.map((m) => m.id));
  cfg.provider.lines.forEach((l, i) => {
    if (!fhIds.has(l.to)) throw fail(`provider.lines.${i}.to`, `no feed handler named ${l.to}`);
  });
  const seenIds = new Set<string>();
  const seenPorts = new Set<number>();
  for (const [field, cid, p] of allEndpoints(cfg)) {
    if (cid && seenIds.has(cid)) throw fail(field, `duplicate component id ${cid}`);
    if (seenPorts.has(p)) throw fail(field, `port ${p} is used twice`);
    if (cid) seenIds.add(cid);
    seenPorts.add(p);
  }
  cfg.health.targets.forEach((t, i) => {
    try {
      parseEndpoint(t);
    } catch (err) {
      throw fail(`health.targets.${i}`, (err as Error).message);
    }
  });
}

function allEndpoints(cfg: PlantConfig): [string, string | null, number][] {
  return [
    ['provider.control_port', cfg.provider.id, cfg.provider.control_port],
    ...cfg.provider.lines.map((l, i): [string, string | null, number] => [`provider.lines.${i}.port`, null, l.port]),
    ...cfg.feed_handlers.members.map((m, i): [string, string | null, number] => [`feed_handlers.members.${i}`, m.id, m.port]),
    ...cfg.ticker_plants.members.map((m, i): [string, string | null, number] => [`ticker_plants.members.${i}`, m.id, m.port]),
    ...cfg.subscribers.map((s, i): [string, string | null, number] => [`subscribers.${i}`, s.id, s.port]),
    ['fix.port', cfg.fix.venue.id, cfg.fix.port],
    ['fix.control_port', cfg.fix.router.id, cfg.fix.control_port],
  ];
}

export function symbolNames(cfg: PlantConfig): string[] {
  const width = String(cfg.symbols.count).length;
  return Array.from({ length: cfg.symbols.count }, (_, i) => `${cfg.symbols.prefix}${String(i + 1).padStart(width, '0')}`);
}

export function endpointOf(cfg: PlantConfig, port: number): Endpoint {
  return { host: cfg.host, port };
}

export function healthTargets(cfg: PlantConfig): Endpoint[] {
  return cfg.health.targets.map(parseEndpoint);
}

export function pairMember(pair: PlantConfig['feed_handlers'], id: string): { self: MemberConfig; peer: MemberConfig | undefined } {
  const self = pair.members.find((m) => m.id === id);
  if (!self) throw new Error(`no member ${id} in pair ${pair.pair} (members: ${pair.members.map((m) => m.id).join(', ')})`);
  return { self, peer: pair.members.find((m) => m.id !== id) };
}
