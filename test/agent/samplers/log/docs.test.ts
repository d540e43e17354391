import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../../../lib/config-file.js';
import { logPlugin, type LogConfig } from '../../../../agent/samplers/log/log.js';
import { compileRules } from '../../../../agent/samplers/log/log-rule.js';
import { FakeClock } from '../../../../lib/clock.js';

const dir = new URL('../../../../agent/samplers/log/', import.meta.url);
const sample = readFileSync(new URL('sample.yaml', dir), 'utf8');
const readme = readFileSync(new URL('README.md', dir), 'utf8');

t.test('the README embeds sample.yaml verbatim', async (t) => {
  t.ok(readme.includes('```yaml\n' + sample + '```'), 'sample.yaml appears unchanged in a yaml block');
});

t.test('sample.yaml passes the schema and its rules compile on RE2', async (t) => {
  const cfg = parseConfigText<LogConfig>(sample, logPlugin.schema, 'sample.yaml');
  t.equal(cfg.rules.length, 4);
  t.doesNotThrow(() => compileRules(cfg.rules, { clock: new FakeClock(), eventLineBytes: cfg.eventLineBytes }));
});

t.test('the README documents every config key of the schema', async (t) => {
  const schema = logPlugin.schema as { properties: Record<string, { items?: { properties?: Record<string, unknown> } }> };
  for (const key of Object.keys(schema.properties)) t.ok(readme.includes(`\`${key}\``), key);
  for (const key of Object.keys(schema.properties['rules']!.items!.properties!)) t.ok(readme.includes(`rules[].${key}`), `rules[].${key}`);
});
