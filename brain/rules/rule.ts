/**
 * The one interface every rule kind implements (style anchor 6, after Prometheus rules/rule.go).
 * A kind only observes: it says, per label set, whether its condition holds now. Timing
 * (`for`, `keep_firing_for`), scoping, severity and alert state belong to the group, so every
 * kind gets them the same way.
 */
import type { Phase } from '../calendar/phase.js';
import type { Labels, LabelMatcher } from '../../lib/labels.js';

export const severities = ['info', 'warning', 'minor', 'major', 'critical'] as const;
export type Severity = (typeof severities)[number];
/** The same 0–4 scale as event severities (docs/schema.md). */
export const severityLevel: Record<Severity, number> = { info: 0, warning: 1, minor: 2, major: 3, critical: 4 };

export const ruleKinds = ['threshold', 'absence', 'rate', 'log-count', 'state-change'] as const;
export type RuleKind = (typeof ruleKinds)[number];

/** The latest value of one series, as rules see it. */
export interface SeriesSample {
  /** The series' tags: its own plus agent, host, floor, desk, colour, role. */
  readonly labels: Labels;
  readonly value: number;
  /** When the value was sampled (ms since the epoch); 0 when never. */
  readonly atMs: number;
}

/** An event as rules see it: tags merged with the agent's identity and labels. */
export interface RuleEvent {
  readonly kind: string;
  readonly atMs: number;
  /** The event's own time where it happened (on the agent, in the plant), µs: detection latency counts from it. */
  readonly eventTimeUs?: number;
  readonly labels: Labels;
  readonly attrs: Labels;
  readonly values: Readonly<Record<string, number>>;
  readonly severity: number;
}

/** What a rule may read. Implemented over the brain's SeriesTable by `tableQuery`. */
export interface RuleQuery {
  /** Every series of `measurement` with field `field`, latest value each. */
  series(measurement: string, field: string): Iterable<SeriesSample>;
  /**
   * How long the brain's own loop stalled since `atMs` (brain/state/loop-watch.ts); 0 without a
   * loop watch. A value's age less this is how old it was when the brain could last look.
   */
  stalledSinceMs?(atMs: number): number;
}

/** One label set's condition at one evaluation. */
export interface Observation {
  /** Identifying labels (the group adds `alertname` and the rule's own labels). */
  readonly labels: Labels;
  readonly value: number;
  /** The trigger condition holds (above the level, absent too long, event seen...). */
  readonly active: boolean;
  /** The clear condition holds: a firing alert may resolve. Equals !active without hysteresis. */
  readonly cleared: boolean;
  /**
   * The fault happened again while its alert was firing (a second fail-over inside the hold):
   * the alert is announced again, so an incident opened since can take it as a symptom.
   */
  readonly recurred?: boolean;
  /** The event that made it fire (state-change rules): its attributes travel with the alert. */
  readonly firedBy?: FiredBy;
}

/** The attributes and values of the event that fired an alert ("signal": "SIGKILL", signal 9). */
export interface FiredBy {
  readonly attrs: Labels;
  readonly values: Readonly<Record<string, number>>;
  /** The firing event's own time (µs) where it happened, when known. */
  readonly eventTimeUs?: number;
}

export interface RuleTiming {
  /** Active this long before pending becomes firing (Prometheus `for`). */
  readonly forMs: number;
  /** A firing alert whose condition cleared keeps firing this long (`keep_firing_for`). */
  readonly keepFiringForMs: number;
}

export interface RuleScope {
  /** Only label sets matching all of these are observed (hosts, components, desks...). */
  readonly matchers: readonly LabelMatcher[];
  /** Only evaluated in these phases of `market` (all phases when empty). */
  readonly phases: readonly Phase[];
  /** The market whose trading day scopes this rule; undefined = the calendar's default. */
  readonly market: string | undefined;
}

/**
 * A rule of some kind. The group calls `observe` for each event of `eventKinds` (in scope)
 * and then `eval` at once, so event-driven detection is not delayed to the next slot; it
 * calls `eval` on every slot of the group's interval as well.
 */
export interface Rule {
  readonly name: string;
  readonly kind: RuleKind;
  /** Added to every alert of this rule. */
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly severity: Severity;
  /** Overrides `severity` in these phases (e.g. minor during BOD, critical intraday). */
  readonly severityByPhase: Readonly<Partial<Record<Phase, Severity>>>;
  readonly timing: RuleTiming;
  readonly scope: RuleScope;
  /** The canonical definition: equal definitions are the same rule, so a reload keeps its state. */
  readonly definition: string;
  readonly eventKinds: readonly string[];
  /** Takes an in-scope event of one of `eventKinds`; returns false when the rule ignored it. */
  observe(e: RuleEvent): boolean;
  /** The condition per label set at `now` (ms since the epoch). */
  eval(now: number, q: RuleQuery): Observation[];
  /**
   * Optional: the condition at `now` of only the label sets that events touched since the last
   * evaluation. With it, an event steps its own alert and not every alert of the rule (an alert
   * storm of 2,500 agent.silent events is then 2,500 steps, not 2,500²); the others are stepped
   * at the group's next slot, as without events.
   */
  evalTouched?(now: number): Observation[];
}

/** The severity of `rule` in `phase`. */
export function severityIn(rule: Rule, phase: Phase | undefined): Severity {
  return (phase && rule.severityByPhase[phase]) || rule.severity;
}
