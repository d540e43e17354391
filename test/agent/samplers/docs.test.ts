import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseConfigText } from '../../../lib/config-file.js';
import type { SamplerPlugin } from '../../../agent/samplers/plugin.js';
import { memoryPlugin } from '../../../agent/samplers/memory/memory.js';
import { nicPlugin } from '../../../agent/samplers/nic/nic.js';

const samplers = join(dirname(fileURLToPath(import.meta.url)), '../../../agent/samplers');

for (const plugin of [nicPlugin, memoryPlugin] as SamplerPlugin[]) {
  const dir = join(samplers, plugin.name);
  const sample = readFileSync(join(dir, 'sample.yaml'), 'utf8');

  t.test(`${plugin.name}: README.md embeds sample.yaml verbatim`, async (t) => {
    t.ok(readFileSync(join(dir, 'README.md'), 'utf8').includes('```yaml\n' + sample + '```\n'));
  });

  t.test(`${plugin.name}: sample.yaml is a valid "${plugin.name}" section`, async (t) => {
    const wrapper = {
      type: 'object',
      additionalProperties: false,
      required: [plugin.name],
      properties: { [plugin.name]: plugin.schema },
    };
    const parsed = parseConfigText<Record<string, object>>(sample, wrapper, `${plugin.name}/sample.yaml`);
    t.type(parsed[plugin.name], 'object');
  });

  t.test(`${plugin.name}: a misspelt key is refused with file, line and field`, async (t) => {
    t.throws(() => parseConfigText('enabeld: true\n', plugin.schema, 'agent.yaml'), {
      code: 'FW_ERR_CONFIG_INVALID',
      message: /agent\.yaml:1: enabeld: unknown field/,
    });
  });
}
