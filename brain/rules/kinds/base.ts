/** What every kind shares: the rule's metadata, and the level comparison with hysteresis. */
import type { Phase } from '../../calendar/phase.js';
import { matchesAll, type Labels } from '../../../lib/labels.js';
import type { Observation, Rule, RuleEvent, RuleKind, RuleQuery, RuleScope, RuleTiming, Severity } from '../rule.js';

/** Everything a Rule declares except what its kind decides. */
export type RuleMeta = Omit<Rule, 'eventKinds' | 'observe' | 'eval'>;

export abstract class BaseRule implements Rule {
  readonly name: string;
  readonly kind: RuleKind;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly severity: Severity;
  readonly severityByPhase: Readonly<Partial<Record<Phase, Severity>>>;
  readonly timing: RuleTiming;
  readonly scope: RuleScope;
  readonly definition: string;
  readonly eventKinds: readonly string[] = [];

  constructor(meta: RuleMeta) {
    this.name = meta.name;
    this.kind = meta.kind;
    this.labels = meta.labels;
    this.annotations = meta.annotations;
    this.severity = meta.severity;
    this.severityByPhase = meta.severityByPhase;
    this.timing = meta.timing;
    this.scope = meta.scope;
    this.definition = meta.definition;
  }

  observe(_e: RuleEvent): boolean {
    return false;
  }

  abstract eval(now: number, q: RuleQuery): Observation[];

  /** Label sets outside the rule's matchers are never observed (nor buffered). */
  protected inScope(labels: Labels): boolean {
    return matchesAll(this.scope.matchers, labels);
  }
}

/** `above` or `below` a level; `clear` is the hysteresis level, checked only while firing. */
export interface Level {
  readonly above?: number | undefined;
  readonly below?: number | undefined;
  readonly clear?: number | undefined;
}

/** The observation for `value` against `level`; NaN is neither active nor holding an alert. */
export function compare(labels: Labels, value: number, level: Level): Observation {
  if (Number.isNaN(value)) return { labels, value, active: false, cleared: true };
  const upward = level.above !== undefined;
  const active = upward ? value > level.above! : value < level.below!;
  let cleared = !active;
  if (level.clear !== undefined) cleared = upward ? value <= level.clear : value >= level.clear;
  return { labels, value, active, cleared };
}
