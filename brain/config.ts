/** The brain's configuration file: schema (with defaults) and loading. */
import { readFileSync } from 'node:fs';
import { parseConfigText, type ConfigProblem } from '../lib/config-file.js';
import { FloorwatchError } from '../lib/errors.js';
import { checkPagingConfig, pagingSchema, type PagingConfig } from './notify/paging-config.js';
import { detectorsSchema, type DetectorsConfig } from './detect/config.js';
import { accessProblem, accessSchema, type AccessConfig } from './access/access-config.js';
import { retentionProblem, type RetentionConfig } from './store/retention.js';
import { pairProblem, pairSchema, type PairConfig } from './pair/pair-config.js';

export interface BrainConfig {
  brain: { id: string; state_dir: string };
  listen: string;
  http: string;
  token?: string;
  tls?: { cert: string; key: string; ca?: string; require_client_cert: boolean };
  /** Plaintext gRPC on a non-loopback `listen` is refused unless this says so (brain/ingest/server.ts). */
  allow_plaintext: boolean;
  /** HTTPS for the API and wall board (plain HTTP without it). */
  http_tls?: { cert: string; key: string };
  /** Users, roles and tokens of the HTTP API and wall board (brain/access/access-config.ts). */
  access: AccessConfig;
  limits: {
    max_message_bytes: number;
    max_streams_per_connection: number;
    max_connections_per_peer: number;
    max_connections: number;
    idle_timeout_ms: number;
    hello_timeout_ms: number;
    max_series_per_stream: number;
    max_series_total: number;
    /** Series with a ring of recent values for the wall board's charts (brain/state/recent-ring.ts). */
    max_charted_series: number;
    nofile: number;
  };
  store: {
    kind: 'none' | 'influx-v1' | 'influx-v2';
    url: string;
    db: string;
    rp?: string;
    username?: string;
    password?: string;
    org?: string;
    bucket?: string;
    token?: string;
    batch_lines: number;
    max_inflight: number;
    timeout_ms: number;
    /** influx-v1: database, raw retention policy and downsampled tiers set up at start (store/retention.ts). */
    retention: RetentionConfig & { enabled: boolean };
    /** How often the brain writes its own statistics (measurement `brain`); 0 = never. */
    self_metrics_every_ms: number;
  };
  spool: { enabled: boolean; max_bytes: number; fsync: boolean; segment_bytes: number; max_held_bytes: number };
  liveness: { silent_after_ms: number; check_every_ms: number; behind_after_ms: number; behind_grace_ms: number };
  /**
   * `worker`: agents' streams read on a worker thread (brain/ingest/ingest-worker.ts), so the
   * alerting path never waits behind sample ingest; `max_queued_batches` and `max_queued_bytes`:
   * its queue's bounds (handed over and not yet processed, or with the spool not yet durable), from
   * either of which it stops reading streams (backpressure: agents keep their batches).
   */
  ingest: { worker: boolean; max_queued_batches: number; max_queued_bytes: number };
  /** Rule files (every *.yaml in `dir`, hot-reloaded) and the trading-day calendar. */
  rules: { dir: string; calendar?: string; enabled: boolean };
  /** Correlation timing (brain/correlate/correlator.ts). */
  correlation: { settle_ms: number; resolve_grace_ms: number; late_ms: number; restart_confirm_ms: number };
  /** The named detectors' parameters (brain/detect/config.ts), every one with a default. */
  detectors: DetectorsConfig;
  /** Pages and mails for incidents: schedule, escalation, channels (absent: no paging). */
  paging?: PagingConfig;
  /** Hosts, plant components, pairs and dependencies (docs/examples/topology.yaml). */
  topology?: string;
  /** Where the plant's health heartbeats arrive (docs/heartbeat-protocol.md); absent = not watched. */
  plant?: { health_listen: string; missed_heartbeats: number; lost_confirm_ms: number; alive_silence_max_ms: number };
  /** A YAML file with the agents' pushable config (interval_ms, samplers), pushed on connect. */
  agent_config?: string;
  /** The brain as a hot-standby pair with a witness (brain/pair/, docs/brain-pair.md); absent: one brain. */
  pair?: PairConfig;
}

const str = { type: 'string', minLength: 1 };
/** InfluxQL duration literals the retention set-up accepts. */
const influxDuration = { type: 'string', pattern: '^(INF|[1-9][0-9]*[smhdw])$' };
const influxName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };
const int = (min: number, def: number, max = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum: min, maximum: max, default: def });

export const brainSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    brain: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { id: { ...str, default: 'brain-1' }, state_dir: { ...str, default: '.floorwatch/brain' } },
    },
    listen: { type: 'string', pattern: '^[^\\s]+:\\d+$', default: '127.0.0.1:7070' },
    http: { type: 'string', pattern: '^[^\\s]+:\\d+$', default: '127.0.0.1:7080' },
    token: str,
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: { cert: str, key: str, ca: str, require_client_cert: { type: 'boolean', default: true } },
    },
    allow_plaintext: { type: 'boolean', default: false },
    http_tls: { type: 'object', additionalProperties: false, required: ['cert', 'key'], properties: { cert: str, key: str } },
    access: accessSchema,
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_message_bytes: int(1024, 4 * 1024 * 1024),
        max_streams_per_connection: int(1, 4, 1000),
        max_connections_per_peer: int(1, 256),
        max_connections: int(1, 20_000),
        idle_timeout_ms: int(1000, 30_000),
        hello_timeout_ms: int(100, 5_000),
        max_series_per_stream: int(1, 200_000),
        max_series_total: int(1, 5_000_000),
        max_charted_series: int(0, 50_000, 5_000_000),
        nofile: int(1024, 65_536),
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        kind: { enum: ['none', 'influx-v1', 'influx-v2'], default: 'none' },
        url: { ...str, default: 'http://127.0.0.1:8086' },
        db: { ...str, default: 'floorwatch' },
        rp: str,
        username: str,
        password: { type: 'string' },
        org: str,
        bucket: str,
        token: { type: 'string' },
        batch_lines: int(1, 5000, 100_000),
        max_inflight: int(1, 2, 16),
        timeout_ms: int(100, 10_000),
        self_metrics_every_ms: int(0, 10_000),
        retention: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            raw: {
              type: 'object',
              additionalProperties: false,
              default: {},
              properties: {
                name: { ...influxName, default: 'raw' },
                duration: { ...influxDuration, default: '7d' },
                shard_duration: { ...influxDuration, default: '1d' },
              },
            },
            downsample: {
              type: 'array',
              maxItems: 4,
              default: [
                { name: 'rp_1m', every: '1m', duration: '90d' },
                { name: 'rp_1h', every: '1h', duration: '730d' },
              ],
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'every', 'duration'],
                properties: { name: influxName, every: influxDuration, duration: influxDuration },
              },
            },
          },
        },
      },
    },
    spool: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        max_bytes: int(1024 * 1024, 2 * 1024 * 1024 * 1024),
        fsync: { type: 'boolean', default: true },
        segment_bytes: int(64 * 1024, 32 * 1024 * 1024),
        max_held_bytes: int(16 * 1024, 64 * 1024 * 1024),
      },
    },
    liveness: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        silent_after_ms: int(100, 3000),
        check_every_ms: int(10, 100),
        behind_after_ms: int(200, 2000),
        behind_grace_ms: int(0, 60_000, 3_600_000),
      },
    },
    ingest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        worker: { type: 'boolean', default: false },
        max_queued_batches: int(100, 20_000),
        max_queued_bytes: int(64 * 1024, 64 * 1024 * 1024, 1024 * 1024 * 1024),
      },
    },
    agent_config: str,
    topology: str,
    paging: pagingSchema,
    rules: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        dir: { ...str, default: '<packaged>/rules' },
        calendar: { ...str, default: '<packaged>/rules/calendar/trading-day.yaml' },
      },
    },
    correlation: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        settle_ms: int(0, 200, 60_000),
        resolve_grace_ms: int(0, 60_000, 24 * 3_600_000),
        late_ms: int(0, 10_000, 600_000),
        restart_confirm_ms: int(0, 120_000, 24 * 3_600_000),
      },
    },
    detectors: detectorsSchema,
    pair: pairSchema,
    plant: {
      type: 'object',
      additionalProperties: false,
      required: ['health_listen'],
      properties: {
        health_listen: { type: 'string', pattern: '^[^\\s]+:\\d+$' },
        missed_heartbeats: int(1, 3, 100),
        lost_confirm_ms: int(0, 2_000, 60_000),
        alive_silence_max_ms: int(0, 10_000, 300_000),
      },
    },
  },
};

/** What the schema cannot say: relations between fields, located like schema errors. */
function crossFieldProblem(c: BrainConfig): ConfigProblem | undefined {
  if (c.tls?.require_client_cert && !c.tls.ca) {
    return {
      path: ['tls', 'require_client_cert'],
      problem: "needs tls.ca, the CA that signs the agents' certificates (or require_client_cert: false for server-only TLS)",
    };
  }
  if (c.pair && c.ingest.worker) {
    // The worker thread's sessions cannot ask this brain's pair role (a secondary must refuse agents).
    return {
      path: ['ingest', 'worker'],
      problem: 'not supported with pair: yet (the ingest worker does not know the pair role): set ingest.worker: false',
    };
  }
  if (c.pair?.witness_page && !c.paging?.snpp) {
    return { path: ['pair', 'witness_page'], problem: 'needs paging.snpp: the witness pages the monitor down through it' };
  }
  return accessProblem(c.access) ?? checkStore(c) ?? pairProblem(c.pair, c.brain.id);
}

function checkStore(config: BrainConfig): ConfigProblem | undefined {
  const { retention, rp, kind } = config.store;
  if (kind !== 'influx-v1' || !retention.enabled) return undefined;
  if (rp !== undefined && rp !== retention.raw.name) {
    return {
      path: ['store', 'rp'],
      problem: `writes go to the raw retention policy "${retention.raw.name}" while store.retention is enabled: leave rp out`,
    };
  }
  const found = retentionProblem(retention);
  return found && { path: ['store', 'retention', ...found.path], problem: found.problem };
}

export function loadBrainConfig(file: string): BrainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  return parseBrainConfig(text, file);
}

export function parseBrainConfig(text: string, source = '<inline brain config>'): BrainConfig {
  const config = parseConfigText<BrainConfig>(text, brainSchema, source, crossFieldProblem);
  // Checks across fields (a route naming an unconfigured channel) need the text for their line.
  checkPagingConfig(config.paging, text, source);
  return config;
}
