/**
 * The demo's rule set: the packaged rules with their holds shortened, so an incident a drill
 * caused resolves seconds after the floor is restored instead of after a production hold
 * (a fail-over alert is held 10 minutes on a real floor). Detection is unchanged: thresholds,
 * `for` and windows of threshold/rate rules are the packaged ones; log-count windows are
 * shortened so a burst of lines stops counting soon after it ends.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, isMap, isSeq, type YAMLMap } from 'yaml';
import { parseDuration } from '../../brain/rules/duration.js';
import { packageRoot } from '../../lib/paths.js';

const HOLD_CAP = '2s';
const LOG_COUNT_WINDOW_CAP = '15s';

export function writeDrillPacedRules(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const packaged = join(packageRoot(), 'rules');
  for (const name of readdirSync(packaged).filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml'))) {
    const doc = parseDocument(readFileSync(join(packaged, name), 'utf8'));
    const rules = doc.get('rules');
    if (isSeq(rules)) for (const rule of rules.items) if (isMap(rule)) shorten(rule);
    writeFileSync(join(dir, name), doc.toString());
  }
  return dir;
}

function shorten(rule: YAMLMap): void {
  const cap = (key: string, to: string) => {
    const v = rule.get(key);
    if (typeof v === 'string' && parseDuration(v) > parseDuration(to)) rule.set(key, to);
  };
  cap('hold', HOLD_CAP);
  cap('keep_firing_for', HOLD_CAP);
  if (rule.get('kind') === 'log-count') cap('window', LOG_COUNT_WINDOW_CAP);
}

/**
 * The packaged trading-day calendar (markets, phases, BOD readiness) without its mutes: a demo
 * run in the evening or on a Saturday must page like one at 10:00 on a Tuesday. The packaged
 * file holds pages back while London is closed and during Saturday plant patching.
 */
export function writeDemoCalendar(file: string): string {
  const doc = parseDocument(readFileSync(join(packageRoot(), 'rules', 'calendar', 'trading-day.yaml'), 'utf8'));
  for (const key of ['maintenance', 'silences', 'phase_policy']) if (doc.has(key)) doc.set(key, doc.createNode([]));
  writeFileSync(file, doc.toString());
  return file;
}
