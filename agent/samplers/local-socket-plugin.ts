/**
 * The `local` sampler kind: the agent's Unix socket for wrapped processes and local reporters
 * (agent/local/). Its plugin lives here, beside the registry, so agent/local/ never imports samplers/.
 */
import { DEFAULT_AGENT_SOCKET } from '../local/protocol.js';
import { LocalSocketSampler, type LocalSocketConfig } from '../local/local-socket.js';
import type { SamplerPlugin } from './plugin.js';

export const localSocketPlugin: SamplerPlugin<LocalSocketConfig> = {
  name: 'local',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      path: { type: 'string', minLength: 1, maxLength: 107, default: DEFAULT_AGENT_SOCKET },
    },
  },
  create: (config, deps) => (config.enabled ? [new LocalSocketSampler(config.path, deps)] : []),
};
