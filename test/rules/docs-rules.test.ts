// docs/rules.md cannot drift: each of its YAML examples is an excerpt, verbatim, of the file it
// names, and each named file is valid (rule files and calendars loaded; test files run);
// brain configuration sections (`<!-- brain config -->`) are parsed by the brain's loader.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadCalendarFile } from '../../brain/calendar/load.js';
import { parseRuleFile } from '../../brain/rules/rule-file.js';
import { runRuleTestFile } from '../../brain/rules/rule-tests.js';
import { parseBrainConfig } from '../../brain/config.js';

const doc = readFileSync('docs/rules.md', 'utf8');
const examples = [...doc.matchAll(/<!-- example: (\S+) -->\n```yaml\n([\s\S]*?)\n```/g)].map((m) => ({ file: m[1]!, text: m[2]! }));

const brainConfigs = [...doc.matchAll(/<!-- brain config -->\n```yaml\n([\s\S]*?)\n```/g)].map((m) => m[1]!);

t.ok(examples.length >= 8, 'the page has its examples');
t.equal(
  examples.length + brainConfigs.length,
  (doc.match(/```yaml/g) ?? []).length,
  'every YAML block names its file or is a brain config section',
);
for (const [i, text] of brainConfigs.entries()) {
  t.test(`brain config section ${i + 1} is valid`, async (t) => {
    t.doesNotThrow(() => parseBrainConfig(`brain: {state_dir: /tmp/unused}\n${text}`), 'the brain accepts it');
  });
}
for (const { file, text } of examples) {
  t.test(`example from ${file}`, async (t) => {
    t.ok(readFileSync(file, 'utf8').includes(text), 'appears verbatim in the file');
    if (file.endsWith('.test.yaml'))
      t.same(
        runRuleTestFile(file).flatMap((o) => o.problems),
        [],
        'its rule tests pass',
      );
    else if (file.includes('/calendar/')) t.ok(loadCalendarFile(file).calendar.markets.size > 0, 'the calendar loads');
    else t.ok(parseRuleFile(readFileSync(file, 'utf8'), file).rules.length > 0, 'the rule file loads');
  });
}
