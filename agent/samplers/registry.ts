/** Every sampler kind the agent knows, by config key. Explicit: no import side effects. */
import { localSocketPlugin } from './local-socket-plugin.js';
import { logPlugin } from './log/log.js';
import type { SamplerPlugin } from './plugin.js';
import { memoryPlugin } from './memory/memory.js';
import { nicPlugin } from './nic/nic.js';
import { processPlugin } from './process/process.js';
import { syntheticPlugin } from './synthetic/synthetic.js';

export const samplerPlugins: readonly SamplerPlugin<any>[] = [
  nicPlugin,
  memoryPlugin,
  processPlugin,
  logPlugin,
  localSocketPlugin,
  syntheticPlugin,
];
