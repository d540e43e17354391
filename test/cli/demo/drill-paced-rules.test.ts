/** The demo's rule set: packaged rules, holds capped, detection untouched, loadable by the brain. */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEMO_SIZED, writeDemoCalendar, writeDrillPacedRules } from '../../../cli/demo/drill-paced-rules.js';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { phaseAt } from '../../../brain/calendar/phases.js';
import { parseDuration } from '../../../lib/duration.js';
import { parseRuleFile } from '../../../brain/rules/rule-file.js';
import { packageRoot } from '../../../lib/paths.js';
import { scratchDir } from '../../helpers/floorwatch.js';

type RawRule = {
  name: string;
  kind: string;
  hold?: string;
  keep_firing_for?: string;
  window?: string;
  for?: string;
  above?: number;
  clear?: number;
};
const rulesOf = (file: string) => (parse(readFileSync(file, 'utf8')) as { rules: RawRule[] }).rules;

t.test('holds at most 2 s, log-count windows at most 15 s, the demo-sized rules as sized, everything else as packaged', async (t) => {
  const dir = writeDrillPacedRules(join(scratchDir(t), 'rules'));
  const packaged = join(packageRoot(), 'rules');
  const names = readdirSync(dir).sort();
  t.same(
    names,
    readdirSync(packaged)
      .filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml'))
      .sort(),
    'every packaged rule file, no test files',
  );
  for (const name of names) {
    t.doesNotThrow(() => parseRuleFile(readFileSync(join(dir, name), 'utf8'), name), `${name} parses as a rule file`);
    const before = rulesOf(join(packaged, name));
    rulesOf(join(dir, name)).forEach((r, i) => {
      const p = before[i]!;
      t.equal(r.name, p.name);
      for (const key of ['hold', 'keep_firing_for'] as const)
        if (p[key]) t.equal(parseDuration(r[key]!), Math.min(parseDuration(p[key]!), 2000), `${r.name}.${key}`);
      if (p.window)
        t.equal(
          parseDuration(r.window!),
          r.kind === 'log-count' ? Math.min(parseDuration(p.window), 15_000) : parseDuration(p.window),
          `${r.name}.window`,
        );
      const sized = DEMO_SIZED[r.name];
      if (sized) {
        t.same({ above: r.above, clear: r.clear, for: r.for }, sized, `${r.name} sized to the demo`);
        return;
      }
      t.equal(r.for, p.for, `${r.name}.for unchanged`);
      t.equal(r.above, p.above, `${r.name}.above unchanged`);
    });
  }
});

t.test('the demo latency rule: the scheduling tail of a shared box does not fire it, a stuck plant does', async (t) => {
  const dir = writeDrillPacedRules(join(scratchDir(t), 'rules'));
  const rule = rulesOf(join(dir, 'plant.yaml')).find((r) => r.name === 'PlantLatencyP99High')!;
  t.ok(rule.above! >= 69_000, `above ${rule.above} us: over the worst p99 seen beside two CPU hogs (69 ms)`);
  t.ok(rule.clear! < rule.above!, 'hysteresis kept');
  t.ok(parseDuration(rule.for!) >= 10_000, `for ${rule.for}: not shorter than the packaged rule's`);
  const packaged = rulesOf(join(packageRoot(), 'rules', 'plant.yaml')).find((r) => r.name === 'PlantLatencyP99High')!;
  t.equal(packaged.above, 5000, 'the packaged rule keeps the production target');
});

t.test('the demo calendar trades around the clock, without mutes', async (t) => {
  const file = writeDemoCalendar(join(scratchDir(t), 'calendar.yaml'));
  const { calendar } = loadCalendarFile(file);
  const market = calendar.defaultMarket!;
  // A Saturday night, a Christmas Day, a Monday noon: all intraday.
  for (const at of ['2026-11-28T23:30:00Z', '2026-12-25T03:00:00Z', '2026-11-23T12:00:00Z', '2026-11-23T23:59:59Z']) {
    t.equal(phaseAt(calendar, market, Date.parse(at)), 'intraday', at);
  }
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown[]>;
  t.same([raw['maintenance'], raw['silences'], raw['phase_policy']], [[], [], []], 'no maintenance, silences or phase policy');
});
