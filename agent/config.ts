/** The agent's configuration file: schema (with defaults) and loading. */
import { hostname } from 'node:os';
import { loadConfigFile, parseConfigText, type ConfigProblem } from '../lib/config-file.js';
import { samplerPlugins } from './samplers/registry.js';

export interface TlsClientConfig {
  ca: string;
  cert?: string;
  key?: string;
  server_name?: string;
}

export interface AgentConfig {
  agent: { id: string; host: string; labels: Record<string, string>; state_dir: string };
  brain: { addresses: string[]; token?: string; tls?: TlsClientConfig; allow_plaintext_remote: boolean };
  interval_ms: number;
  flush_ms: number;
  max_batch_samples: number;
  queue: { max_bytes: number; fsync_ms: number };
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

export function agentSchema(): object {
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
          host: { type: 'string', minLength: 1 },
          labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
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
        },
      },
      proc_root: { type: 'string', default: '/proc' },
      sys_root: { type: 'string', default: '/sys' },
      samplers: samplersSchema(),
    },
  };
}

export function pushableSchema(): object {
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

export function parsePushedConfig(text: string, version: number): PushableConfig {
  return parseConfigText<PushableConfig>(text, pushableSchema(), `config pushed by the brain (version ${version})`, checkSamplers);
}

function checkSamplers(config: PushableConfig): ConfigProblem | undefined {
  for (const plugin of samplerPlugins) {
    const section = config.samplers[plugin.name];
    const found = section === undefined ? undefined : plugin.check?.(section);
    if (found) return { path: ['samplers', plugin.name, ...found.path], problem: found.problem };
  }
  return undefined;
}
