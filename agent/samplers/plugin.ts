import type { ConfigProblem } from '../../lib/config-file.js';
import type { Sampler, SamplerDeps } from '../sampler.js';

/**
 * How a sampler kind plugs into the agent: its config section's JSON schema (validated with
 * file:line:field errors, defaults filled in) and a factory. Listed explicitly in registry.ts.
 */
export interface SamplerPlugin<C = unknown> {
  readonly name: string;
  readonly schema: object;
  /** What the schema cannot check (e.g. patterns RE2 refuses), so a bad file is refused at load; path within the section. */
  check?(config: C): ConfigProblem | undefined;
  create(config: C, deps: SamplerDeps): Sampler[];
}
