/** The brain's configuration file: schema (with defaults) and loading. */
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../lib/config-file.js';
import { FloorwatchError } from '../lib/errors.js';
import { checkPagingConfig, pagingSchema, type PagingConfig } from './notify/paging-config.js';
import { detectorsSchema, type DetectorsConfig } from './detect/config.js';

export interface BrainConfig {
  brain: { id: string; state_dir: string };
  listen: string;
  http: string;
  token?: string;
  tls?: { cert: string; key: string; ca?: string; require_client_cert: boolean };
  limits: {
    max_message_bytes: number;
    max_streams_per_connection: number;
    max_connections_per_peer: number;
    max_connections: number;
    idle_timeout_ms: number;
    hello_timeout_ms: number;
    max_series_per_stream: number;
    max_series_total: number;
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
  };
  spool: { enabled: boolean; max_bytes: number; fsync: boolean; segment_bytes: number };
  liveness: { silent_after_ms: number; check_every_ms: number };
  /** Rule files (every *.yaml in `dir`, hot-reloaded) and the trading-day calendar. */
  rules: { dir: string; calendar?: string; enabled: boolean };
  /** Correlation timing (brain/correlate/correlator.ts). */
  correlation: { settle_ms: number; resolve_grace_ms: number; restart_confirm_ms: number };
  /** The named detectors' parameters (brain/detect/config.ts), every one with a default. */
  detectors: DetectorsConfig;
  /** Pages and mails for incidents: schedule, escalation, channels (absent: no paging). */
  paging?: PagingConfig;
  /** Hosts, plant components, pairs and dependencies (docs/examples/topology.yaml). */
  topology?: string;
  /** Where the plant's health heartbeats arrive (docs/heartbeat-protocol.md); absent = not watched. */
  plant?: { health_listen: string; missed_heartbeats: number };
  /** A YAML file with the agents' pushable config (interval_ms, samplers), pushed on connect. */
  agent_config?: string;
}

const str = { type: 'string', minLength: 1 };
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
      },
    },
    liveness: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { silent_after_ms: int(100, 3000), check_every_ms: int(10, 100) },
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
      properties: { settle_ms: int(0, 200, 60_000), resolve_grace_ms: int(0, 60_000, 24 * 3_600_000), restart_confirm_ms: int(0, 120_000, 24 * 3_600_000) },
    },
    detectors: detectorsSchema,
    plant: {
      type: 'object',
      additionalProperties: false,
      required: ['health_listen'],
      properties: { health_listen: { type: 'string', pattern: '^[^\\s]+:\\d+$' }, missed_heartbeats: int(1, 3, 100) },
    },
  },
};

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
  const config = parseConfigText<BrainConfig>(text, brainSchema, source);
  // Checks across fields (a route naming an unconfigured channel) need the text for their line.
  checkPagingConfig(config.paging, text, source);
  return config;
}
