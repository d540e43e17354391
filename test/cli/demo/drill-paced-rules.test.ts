/** The demo's rule set: packaged rules, holds capped, detection untouched, loadable by the brain. */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeDrillPacedRules } from '../../../cli/demo/drill-paced-rules.js';
import { parseDuration } from '../../../brain/rules/duration.js';
import { parseRuleFile } from '../../../brain/rules/rule-file.js';
import { packageRoot } from '../../../lib/paths.js';
import { scratchDir } from '../../helpers/floorwatch.js';

type RawRule = { name: string; kind: string; hold?: string; keep_firing_for?: string; window?: string; for?: string; above?: number };
const rulesOf = (file: string) => (parse(readFileSync(file, 'utf8')) as { rules: RawRule[] }).rules;

t.test('holds at most 2 s, log-count windows at most 15 s, everything else as packaged', async (t) => {
  const dir = writeDrillPacedRules(join(scratchDir(t), 'rules'));
  const packaged = join(packageRoot(), 'rules');
  const names = readdirSync(dir).sort();
  t.same(names, readdirSync(packaged).filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml')).sort(), 'every packaged rule file, no test files');
  for (const name of names) {
    t.doesNotThrow(() => parseRuleFile(readFileSync(join(dir, name), 'utf8'), name), `${name} parses as a rule file`);
    const before = rulesOf(join(packaged, name));
    rulesOf(join(dir, name)).forEach((r, i) => {
      const p = before[i]!;
      t.equal(r.name, p.name);
      for (const key of ['hold', 'keep_firing_for'] as const) if (p[key]) t.equal(parseDuration(r[key]!), Math.min(parseDuration(p[key]!), 2000), `${r.name}.${key}`);
      if (p.window) t.equal(parseDuration(r.window!), r.kind === 'log-count' ? Math.min(parseDuration(p.window), 15_000) : parseDuration(p.window), `${r.name}.window`);
      t.equal(r.for, p.for, `${r.name}.for unchanged`);
      t.equal(r.above, p.above, `${r.name}.above unchanged`);
    });
  }
});
