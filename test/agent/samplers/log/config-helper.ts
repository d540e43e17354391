/** Builds a complete log config the way the agent does: YAML through the schema, defaults filled. */
import { stringify } from 'yaml';
import { systemClock, type Clock } from '../../../../lib/clock.js';
import { parseConfigText } from '../../../../lib/config-file.js';
import { silentLogger } from '../../../../lib/log.js';
import type { SamplerDeps } from '../../../../agent/sampler.js';
import { logConfigSchema, type LogConfig } from '../../../../agent/samplers/log/config.js';

export function logConfig(section: Record<string, unknown>): LogConfig {
  return parseConfigText<LogConfig>(stringify({ enabled: true, ...section }), logConfigSchema, 'test config');
}

export function deps(stateDir: string, clock: Clock = systemClock): SamplerDeps {
  return { clock, log: silentLogger, procRoot: '/proc', sysRoot: '/sys', stateDir };
}

/** A metric rule turning each writer line's sequence number into a gauge stamped with the line's time. */
export const seqRule = {
  name: 'seq',
  action: 'metric',
  pattern: '^seq=(?P<seq>\\d+);ts=(?P<ts>\\d+);',
  fields: ['seq'],
  timestamp: { capture: 'ts', format: 'unix_us' },
};
