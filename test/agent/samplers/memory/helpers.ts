/** Building memory samplers for the memory tests. */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../../lib/clock.js';
import { parseConfigText } from '../../../../lib/config-file.js';
import { silentLogger } from '../../../../lib/log.js';
import { MemorySampler, memoryPlugin, type MemoryConfig } from '../../../../agent/samplers/memory/memory.js';

export const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/samplers/memory');

export function memorySampler(clock: Clock, roots: { procRoot: string; sysRoot: string }, yaml = ''): MemorySampler {
  return new MemorySampler(parseConfigText<MemoryConfig>(yaml, memoryPlugin.schema, 'test'), {
    clock,
    log: silentLogger,
    ...roots,
    stateDir: tmpdir(),
  });
}
