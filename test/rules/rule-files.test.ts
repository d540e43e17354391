// Runs every rules/*.test.yaml (promtool-style rule unit tests) against the rules beside it,
// so `npm test` checks the default rule set as `promtool test rules` would.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runRuleTestFile } from '../../brain/rules/rule-tests.js';

const dir = 'rules';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.yaml'))
  .sort();

t.ok(files.length >= 3, 'the default rule set has its unit tests');
for (const f of files) {
  t.test(`rules/${f}`, async (t) => {
    const outcomes = runRuleTestFile(join(dir, f));
    t.ok(outcomes.length > 0, 'has checks');
    for (const o of outcomes) t.same(o.problems, [], `${o.test} — ${o.alertname} at ${o.evalTime}`);
  });
}
