/**
 * Rule unit tests, after `promtool test rules`: rule authors write `rules/<name>.test.yaml`
 * beside the rules, with input series in `1+0x10` notation, input events at offsets, and the
 * alerts expected firing at given times. Runs the real RuleManager on a fake clock.
 * Format: docs/rules.md.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FakeClock } from '../../lib/clock.js';
import { parseConfigText } from '../../lib/config-file.js';
import { loadCalendarFile } from '../calendar/load.js';
import { EventLog } from '../state/event-log.js';
import { SeriesTable } from '../state/series-table.js';
import { durationSchema, parseDuration } from '../../lib/duration.js';
import type { AlertChange } from './group.js';
import { labelsKey, formatLabels, type Labels } from '../../lib/labels.js';
import { RuleManager } from './manager.js';
import { severities } from './rule.js';
import { expandValues, parseSeriesName } from './series-notation.js';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const testSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'alert_rule_test'],
  properties: {
    name: { type: 'string' },
    interval: durationSchema,
    input_series: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['series', 'values'],
        properties: { series: { type: 'string' }, values: { type: ['string', 'number'] } },
      },
    },
    input_events: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'kind'],
        properties: {
          at: durationSchema,
          kind: { type: 'string' },
          agent: { type: 'string' },
          tags: stringMap,
          attrs: stringMap,
          values: { type: 'object', additionalProperties: { type: 'number' } },
          severity: { type: 'integer', minimum: 0, maximum: 4 },
        },
      },
    },
    alert_rule_test: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['eval_time', 'alertname', 'exp_alerts'],
        properties: {
          eval_time: durationSchema,
          alertname: { type: 'string' },
          exp_alerts: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['labels'],
              properties: { labels: stringMap, severity: { enum: severities }, annotations: stringMap },
            },
          },
        },
      },
    },
  },
} as const;

export const ruleTestFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rule_files', 'tests'],
  properties: {
    rule_files: { type: 'array', items: { type: 'string' }, minItems: 1 },
    calendar: { type: 'string' },
    start: { type: 'string' },
    evaluation_interval: durationSchema,
    tests: { type: 'array', items: testSchema },
  },
} as const;

type RawTest = {
  name: string;
  interval?: string;
  input_series?: { series: string; values: string | number }[];
  input_events?: {
    at: string;
    kind: string;
    agent?: string;
    tags?: Record<string, string>;
    attrs?: Record<string, string>;
    values?: Record<string, number>;
    severity?: number;
  }[];
  alert_rule_test: {
    eval_time: string;
    alertname: string;
    exp_alerts: { labels: Record<string, string>; severity?: string; annotations?: Record<string, string> }[];
  }[];
};
type RawTestFile = { rule_files: string[]; calendar?: string; start?: string; evaluation_interval?: string; tests: RawTest[] };

export interface RuleTestOutcome {
  readonly test: string;
  readonly evalTime: string;
  readonly alertname: string;
  /** Empty when the expected alerts were exactly the firing ones. */
  readonly problems: readonly string[];
}

/** A Monday in November, 09:00 UTC: intraday in London. */
const DEFAULT_START = '2026-11-23T09:00:00Z';

export function runRuleTestFile(file: string): RuleTestOutcome[] {
  const raw = parseConfigText<RawTestFile>(readFileSync(file, 'utf8'), ruleTestFileSchema, file);
  const dir = dirname(file);
  const ruleFiles = raw.rule_files.map((f) => resolve(dir, f));
  const calendar = raw.calendar ? loadCalendarFile(resolve(dir, raw.calendar)) : undefined;
  const startMs = Date.parse(raw.start ?? DEFAULT_START);
  const evalEvery = parseDuration(raw.evaluation_interval ?? '1s');
  return raw.tests.flatMap((t) => runOne(t, { ruleFiles, calendar, startMs, evalEvery }));
}

function runOne(
  t: RawTest,
  w: { ruleFiles: string[]; calendar: ReturnType<typeof loadCalendarFile> | undefined; startMs: number; evalEvery: number },
): RuleTestOutcome[] {
  const clock = new FakeClock(w.startMs);
  const series = new SeriesTable(100_000);
  const events = new EventLog({ clock });
  const latest = new Map<string, AlertChange>();
  const manager = new RuleManager({
    dir: dirname(w.ruleFiles[0]!),
    files: w.ruleFiles,
    clock,
    series,
    events,
    ...(w.calendar ? { calendar: w.calendar.calendar, muters: w.calendar.muters } : {}),
    onAlert: (c) => latest.set(labelsKey(c.labels), c),
    watch: false,
    schedule: false,
  });
  manager.start();
  const step = t.interval ? parseDuration(t.interval) : w.evalEvery;
  const timeline = new Map<number, (() => void)[]>();
  const at = (ms: number, fn: () => void) => timeline.set(ms, [...(timeline.get(ms) ?? []), fn]);
  for (const input of t.input_series ?? []) {
    const name = parseSeriesName(input.series);
    const s = series.intern(
      name.labels['agent'] ?? 'test',
      {},
      { measurement: name.measurement, field: name.field, tags: name.labels, kind: 0 },
    )!;
    expandValues(String(input.values)).forEach((v, i) => {
      if (v !== undefined) at(i * step, () => ((s.last = v), (s.lastUs = clock.nowUs())));
    });
  }
  for (const e of t.input_events ?? []) {
    at(parseDuration(e.at), () =>
      events.publish({
        timeUs: clock.nowUs(),
        kind: e.kind,
        source: 'agent',
        agentId: e.agent ?? '',
        tags: e.tags ?? {},
        attrs: e.attrs ?? {},
        values: e.values ?? {},
        severity: e.severity ?? 0,
      }),
    );
  }
  const outcomes: RuleTestOutcome[] = [];
  const checks = t.alert_rule_test.map((c) => ({ ...c, ms: parseDuration(c.eval_time) }));
  const end = Math.max(0, ...checks.map((c) => c.ms));
  const times = new Set<number>([...timeline.keys(), ...checks.map((c) => c.ms)]);
  for (let ms = 0; ms <= end; ms += w.evalEvery) times.add(ms);
  for (const ms of [...times].filter((x) => x <= end).sort((a, b) => a - b)) {
    clock.advance(w.startMs + ms - clock.now());
    for (const fn of timeline.get(ms) ?? []) fn();
    if (ms % w.evalEvery === 0) manager.evaluateAll();
    for (const c of checks.filter((x) => x.ms === ms))
      outcomes.push({ test: t.name, evalTime: c.eval_time, alertname: c.alertname, problems: compare(manager, latest, c) });
  }
  void manager.stop();
  return outcomes;
}

function compare(manager: RuleManager, latest: Map<string, AlertChange>, c: RawTest['alert_rule_test'][number]): string[] {
  const firing = new Map<string, Labels>();
  for (const { rule, alert } of manager.alerts())
    if (rule.name === c.alertname && alert.state === 'firing') firing.set(labelsKey(alert.labels), alert.labels);
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const exp of c.exp_alerts) {
    const labels = { ...exp.labels, alertname: c.alertname };
    const key = labelsKey(labels);
    expected.add(key);
    if (!firing.has(key)) {
      problems.push(`expected firing, not firing: ${formatLabels(labels)}`);
      continue;
    }
    const change = latest.get(key);
    if (exp.severity && change?.severity !== exp.severity)
      problems.push(`${formatLabels(labels)}: severity ${change?.severity}, expected ${exp.severity}`);
    for (const [k, v] of Object.entries(exp.annotations ?? {})) {
      if (change?.annotations[k] !== v)
        problems.push(`${formatLabels(labels)}: annotation ${k} ${JSON.stringify(change?.annotations[k])}, expected ${JSON.stringify(v)}`);
    }
  }
  for (const [key, labels] of firing) if (!expected.has(key)) problems.push(`firing, not expected: ${formatLabels(labels)}`);
  return problems;
}
