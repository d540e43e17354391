/** Every sampler kind the agent knows, by config key. Explicit: no import side effects. */
import type { SamplerPlugin } from './plugin.js';
import { syntheticPlugin } from './synthetic/synthetic.js';

export const samplerPlugins: readonly SamplerPlugin<any>[] = [syntheticPlugin];
