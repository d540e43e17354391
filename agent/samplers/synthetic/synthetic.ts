/**
 * Deterministic load: N gauge series per tick, each sample value the sampler's running count.
 * Used by the load generator, the benchmarks and the no-loss tests, where every produced
 * sample must be accounted for exactly.
 */
import type { Emit, Sampler } from '../../sampler.js';
import type { SamplerPlugin } from '../plugin.js';

export interface SyntheticConfig {
  enabled: boolean;
  series: number;
}

export class SyntheticSampler implements Sampler {
  readonly name = 'synthetic';
  #count = 0;
  readonly #fields: string[];
  constructor(config: SyntheticConfig) {
    this.#fields = Array.from({ length: config.series }, (_, i) => `s${i}`);
  }
  sample(emit: Emit): void {
    for (const field of this.#fields) emit.gauge('synthetic', field, ++this.#count);
  }
}

export const syntheticPlugin: SamplerPlugin<SyntheticConfig> = {
  name: 'synthetic',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      series: { type: 'integer', minimum: 1, maximum: 100000, default: 10 },
    },
  },
  create: (config) => (config.enabled ? [new SyntheticSampler(config)] : []),
};
