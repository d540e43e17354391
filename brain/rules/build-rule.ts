/**
 * From a rule as written to a Rule of its kind. Checks what the schema cannot: the fields a
 * kind needs, fields that do not apply to it (a typo'd kind would otherwise be silently
 * ignored), matchers RE2 refuses, a clear level on the wrong side of its trigger.
 */
import { severityLevel, type Rule, type RuleKind } from './rule.js';
import { parseDuration } from '../../lib/duration.js';
import { parseMatcher, type LabelMatcher } from '../../lib/labels.js';
import type { RawEventSelector, RawRule } from './rule-schema.js';
import type { RuleMeta } from './kinds/base.js';
import type { EventSelector } from './kinds/event-selector.js';
import { ThresholdRule } from './kinds/threshold.js';
import { AbsenceRule } from './kinds/absence.js';
import { RateRule } from './kinds/rate.js';
import { LogCountRule } from './kinds/log-count.js';
import { StateChangeRule } from './kinds/state-change.js';

/** A problem in one rule, at a path relative to the rule (e.g. ['match', 1]). */
export class RuleProblem extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

const COMMON = [
  'name',
  'kind',
  'severity',
  'severity_by_phase',
  'phases',
  'market',
  'match',
  'for',
  'keep_firing_for',
  'labels',
  'annotations',
];
const KIND_FIELDS: Record<RuleKind, string[]> = {
  threshold: ['series', 'above', 'below', 'clear', 'max_age', 'aggregate'],
  absence: ['series', 'stale_after', 'missed', 'every'],
  rate: ['series', 'window', 'above', 'below', 'clear', 'counter', 'per'],
  'log-count': ['event', 'series', 'window', 'at_least', 'by'],
  'state-change': ['on', 'resolve', 'hold', 'by'],
};

/** Builds one rule; `defaultMarket` is the file's `market`. */
export function buildRule(raw: RawRule, defaultMarket: string | undefined): Rule {
  const allowed = new Set([...COMMON, ...KIND_FIELDS[raw.kind]]);
  for (const key of Object.keys(raw)) if (!allowed.has(key)) throw new RuleProblem([key], `does not apply to kind ${raw.kind}`);
  const meta = metaOf(raw, defaultMarket);
  switch (raw.kind) {
    case 'threshold':
      return new ThresholdRule(meta, {
        ...need(raw, 'series'),
        level: level(raw),
        maxAgeMs: raw.max_age !== undefined ? duration(raw.max_age, 'max_age') : undefined,
        aggregate: raw.aggregate,
      });
    case 'absence':
      return new AbsenceRule(meta, { ...need(raw, 'series'), staleAfterMs: staleAfter(raw) });
    case 'rate':
      return new RateRule(meta, {
        ...need(raw, 'series'),
        windowMs: duration(need(raw, 'window'), []),
        level: level(raw),
        counter: raw.counter ?? true,
        per: raw.per ?? 'second',
      });
    case 'log-count':
      return new LogCountRule(meta, {
        source: logSource(raw),
        windowMs: duration(need(raw, 'window'), []),
        atLeast: need(raw, 'at_least'),
      });
    case 'state-change': {
      const resolve = raw.resolve ? selector(raw.resolve, ['resolve']) : undefined;
      const holdMs = raw.hold !== undefined ? duration(raw.hold, []) : resolve ? 0 : 5 * 60_000;
      return new StateChangeRule(meta, { on: selector(need(raw, 'on'), ['on']), resolve, holdMs, by: raw.by });
    }
  }
}

function metaOf(raw: RawRule, defaultMarket: string | undefined): RuleMeta {
  return {
    name: raw.name,
    kind: raw.kind,
    labels: raw.labels ?? {},
    annotations: raw.annotations ?? {},
    severity: raw.severity,
    severityByPhase: raw.severity_by_phase ?? {},
    timing: { forMs: duration(raw.for, []), keepFiringForMs: duration(raw.keep_firing_for, []) },
    scope: { matchers: matchers(raw.match, ['match']), phases: raw.phases ?? [], market: raw.market ?? defaultMarket },
    definition: JSON.stringify({ ...raw, market: raw.market ?? defaultMarket }),
  };
}

function need<K extends keyof RawRule>(raw: RawRule, key: K): NonNullable<RawRule[K]> {
  const v = raw[key];
  if (v === undefined) throw new RuleProblem([key], `is required for kind ${raw.kind}`);
  return v as NonNullable<RawRule[K]>;
}

function duration(text: string | undefined, path: readonly (string | number)[] | string): number {
  if (text === undefined) return 0;
  try {
    return parseDuration(text);
  } catch (err) {
    throw new RuleProblem(typeof path === 'string' ? [path] : path, (err as Error).message);
  }
}

function level(raw: RawRule): { above?: number; below?: number; clear?: number } {
  if ((raw.above === undefined) === (raw.below === undefined))
    throw new RuleProblem(['above'], 'exactly one of above or below is required');
  if (raw.clear !== undefined) {
    // Hysteresis means clearing further from the trigger than the trigger itself.
    if (raw.above !== undefined && raw.clear > raw.above) throw new RuleProblem(['clear'], `must be <= above (${raw.above})`);
    if (raw.below !== undefined && raw.clear < raw.below) throw new RuleProblem(['clear'], `must be >= below (${raw.below})`);
  }
  return {
    ...(raw.above !== undefined ? { above: raw.above } : {}),
    ...(raw.below !== undefined ? { below: raw.below } : {}),
    ...(raw.clear !== undefined ? { clear: raw.clear } : {}),
  };
}

function staleAfter(raw: RawRule): number {
  if (raw.stale_after !== undefined) {
    if (raw.missed !== undefined || raw.every !== undefined)
      throw new RuleProblem(['stale_after'], 'give either stale_after or missed with every, not both');
    return duration(raw.stale_after, 'stale_after');
  }
  if (raw.missed === undefined || raw.every === undefined)
    throw new RuleProblem(['stale_after'], 'is required (or missed with every) for kind absence');
  return raw.missed * duration(raw.every, 'every');
}

function logSource(raw: RawRule) {
  if ((raw.event === undefined) === (raw.series === undefined))
    throw new RuleProblem(['event'], 'exactly one of event or series is required for kind log-count');
  if (raw.series) {
    if (raw.by) throw new RuleProblem(['by'], 'applies to event counts only');
    return raw.series;
  }
  return { event: selector(raw.event!, ['event']), by: raw.by };
}

function selector(raw: RawEventSelector, path: (string | number)[]): EventSelector {
  return {
    kind: raw.kind,
    when: matchers(raw.when, [...path, 'when']),
    minSeverity: raw.min_severity ? severityLevel[raw.min_severity] : 0,
  };
}

function matchers(texts: readonly string[] | undefined, path: (string | number)[]): LabelMatcher[] {
  return (texts ?? []).map((text, i) => {
    try {
      return parseMatcher(text);
    } catch (err) {
      throw new RuleProblem([...path, i], (err as Error).message);
    }
  });
}
