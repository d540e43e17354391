/** The agent's configuration file: schema (with defaults) and loading. */
import { hostname } from 'node:os';
import { loadConfigFile, parseConfigText, usePrecompiled, type ConfigProblem } from '../lib/config-file.js';
import { HOST_PATTERN, labelsSchema } from '../lib/agent-names.js';
import { samplerPlugins } from './samplers/registry.js';
import { HOLD_MAX_BATCHES, HOLD_MAX_BYTES } from './queue/holding-queue.js';

export interface TlsClientConfig {
  ca: string;
  cert?: string;
  key?: string;
  server_name?: string;
}

export interface AgentConfig {
  agent: { id: string; host: string; labels: Record<string, string>; state_dir: string };
  brain: { addresses: string[]; token?: string; tls?: TlsClientConfig; allow_plaintext_remote: boolean; unreachable_alarm_ms: number };
  interval_ms: number;
  flush_ms: number;
  max_batch_samples: number;
  queue: { max_bytes: number; fsync_ms: number; hold_max_bytes: number; hold_max_batches: number };
  proc_root: string;
  sys_root: string;
  samplers: Record<string, unknown>;
}

/** The part of the agent config the brain may push (so a floor is configured in one place). */
export interface PushableConfig {
  interval_ms: number;
  samplers: Record<string, unknown>;
}

function samplersSchema(): object {
  const properties: Record<string, object> = {};
  for (const p of samplerPlugins) properties[p.name] = p.schema;
  // Listed samplers run (unless `enabled: false`); with no `samplers` section at all, a host
  // gets the host samplers and the local socket for wrapped processes.
  return { type: 'object', additionalProperties: false, properties, default: { nic: {}, memory: {}, local: {} } };
}

const intervalSchema = { type: 'integer', minimum: 50, maximum: 3_600_000, default: 1000 };

/**
 * The two schemas, built once, each with the validator the build generated for it
 * (scripts/gen-validators.mjs → dist/agent/config-validators/): the agent starts without loading
 * ajv or compiling a schema (~100 ms of start-up CPU measured, docs/benchmarks.md #12). From
 * source (tsx), or when a schema changed after the build, ajv compiles it as before.
 */
const schemas: { agent?: object; pushable?: object } = {};

/** The files scripts/gen-validators.mjs writes, next to this module in dist/. */
export const PRECOMPILED = { agent: './config-validators/agent.cjs', pushable: './config-validators/pushable.cjs' } as const;

export function agentSchema(): object {
  if (!schemas.agent) {
    schemas.agent = buildAgentSchema();
    usePrecompiled(schemas.agent, import.meta.url, PRECOMPILED.agent);
  }
  return schemas.agent;
}

export function pushableSchema(): object {
  if (!schemas.pushable) {
    schemas.pushable = buildPushableSchema();
    usePrecompiled(schemas.pushable, import.meta.url, PRECOMPILED.pushable);
  }
  return schemas.pushable;
}

function buildAgentSchema(): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      agent: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
          host: { type: 'string', pattern: HOST_PATTERN },
          labels: labelsSchema,
          state_dir: { type: 'string', minLength: 1 },
        },
      },
      brain: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          addresses: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s]+:\\d+$' }, default: ['127.0.0.1:7070'] },
          token: { type: 'string' },
          allow_plaintext_remote: { type: 'boolean', default: false },
          /** No brain of the list reachable this long: the whole monitor may be down; said locally (error log). */
          unreachable_alarm_ms: { type: 'integer', minimum: 1000, maximum: 3_600_000, default: 15_000 },
          tls: {
            type: 'object',
            additionalProperties: false,
            required: ['ca'],
            properties: { ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, server_name: { type: 'string' } },
          },
        },
      },
      interval_ms: intervalSchema,
      flush_ms: { type: 'integer', minimum: 10, maximum: 60_000, default: 1000 },
      max_batch_samples: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 },
      queue: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          max_bytes: { type: 'integer', minimum: 65536, default: 256 * 1024 * 1024 },
          fsync_ms: { type: 'integer', minimum: 0, default: 1000 },
          // Sealed batches kept in memory while the queue's disk is full or failing (agent/queue/holding-queue.ts).
          hold_max_bytes: { type: 'integer', minimum: 0, default: HOLD_MAX_BYTES },
          hold_max_batches: { type: 'integer', minimum: 0, default: HOLD_MAX_BATCHES },
        },
      },
      proc_root: { type: 'string', default: '/proc' },
      sys_root: { type: 'string', default: '/sys' },
      samplers: samplersSchema(),
    },
  };
}

function buildPushableSchema(): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { interval_ms: intervalSchema, samplers: samplersSchema() },
  };
}

function withIdentityDefaults(c: AgentConfig): AgentConfig {
  c.agent.host ??= hostname();
  c.agent.id ??= c.agent.host;
  c.agent.state_dir ??= `.floorwatch/agent-${c.agent.id}`;
  return c;
}

export function loadAgentConfig(file: string): AgentConfig {
  return withIdentityDefaults(loadConfigFile<AgentConfig>(file, agentSchema(), checkSamplers));
}

export function parseAgentConfig(text: string, source = '<inline agent config>'): AgentConfig {
  return withIdentityDefaults(parseConfigText<AgentConfig>(text, agentSchema(), source, checkSamplers));
}

export function parsePushedConfig(
  text: string,
  version: number,
  source = `config pushed by the brain (version ${version})`,
): PushableConfig {
  return parseConfigText<PushableConfig>(text, pushableSchema(), source, checkSamplers);
}

function checkSamplers(config: PushableConfig): ConfigProblem | undefined {
  for (const plugin of samplerPlugins) {
    const section = config.samplers[plugin.name];
    const found = section === undefined ? undefined : plugin.check?.(section);
    if (found) return { path: ['samplers', plugin.name, ...found.path], problem: found.problem };
  }
  return undefined;
}
