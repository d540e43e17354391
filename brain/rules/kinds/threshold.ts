/**
 * threshold: the latest value of a series above (or below) a level, for a while, with a
 * separate clear level so a value hovering at the level does not flap (seed 001: dirty
 * memory climbing towards the flush). With `aggregate`, series are first combined by labels:
 * e.g. `count` of fresh series by `pair` below 1: no member of a pair reporting. (PlantPairDown
 * no longer uses it: a series ages while its process is alive but starved of CPU; the brain's
 * wrapper-aware verdict decides that, brain/ingest/plant-verdicts.ts.)
 */
import { labelsKey, pickLabels, type Labels } from '../../../lib/labels.js';
import type { Observation, RuleQuery, SeriesSample } from '../rule.js';
import { BaseRule, compare, type Level, type RuleMeta } from './base.js';

export type AggregateOp = 'count' | 'sum' | 'min' | 'max' | 'avg';

export interface ThresholdSpec {
  readonly measurement: string;
  readonly field: string;
  readonly level: Level;
  /**
   * A value older than this is not judged (its series stopped; absence rules say so). Its age
   * leaves out the brain's own stalls since it came (RuleQuery.stalledSinceMs): a brain that
   * did not look for 2 s (a new primary starting, issue #16) has not seen 2 s of silence.
   */
  readonly maxAgeMs: number | undefined;
  readonly aggregate: { readonly by: readonly string[]; readonly op: AggregateOp } | undefined;
}

export class ThresholdRule extends BaseRule {
  readonly #spec: ThresholdSpec;

  constructor(meta: RuleMeta, spec: ThresholdSpec) {
    super(meta);
    this.#spec = spec;
  }

  eval(now: number, q: RuleQuery): Observation[] {
    const maxAge = this.#spec.maxAgeMs;
    const fresh = (s: SeriesSample) =>
      maxAge === undefined || now - s.atMs <= maxAge || now - s.atMs - (q.stalledSinceMs?.(s.atMs) ?? 0) <= maxAge;
    if (this.#spec.aggregate) return this.#aggregated(q, fresh, this.#spec.aggregate);
    const out: Observation[] = [];
    for (const s of q.series(this.#spec.measurement, this.#spec.field)) {
      if (s.atMs === 0 || !this.inScope(s.labels) || !fresh(s)) continue;
      out.push(compare(s.labels, s.value, this.#spec.level));
    }
    return out;
  }

  /** Groups come from every in-scope series, fresh or not, so a group with no fresh member counts 0. */
  #aggregated(q: RuleQuery, fresh: (s: SeriesSample) => boolean, agg: NonNullable<ThresholdSpec['aggregate']>): Observation[] {
    const groups = new Map<string, { labels: Labels; values: number[] }>();
    for (const s of q.series(this.#spec.measurement, this.#spec.field)) {
      if (s.atMs === 0 || !this.inScope(s.labels)) continue;
      const labels = pickLabels(s.labels, agg.by);
      const key = labelsKey(labels);
      const g = groups.get(key) ?? { labels, values: [] };
      groups.set(key, g);
      if (fresh(s) && !Number.isNaN(s.value)) g.values.push(s.value);
    }
    return [...groups.values()].map((g) => compare(g.labels, combine(agg.op, g.values), this.#spec.level));
  }
}

function combine(op: AggregateOp, values: number[]): number {
  if (op === 'count') return values.length;
  if (values.length === 0) return NaN;
  if (op === 'min') return Math.min(...values);
  if (op === 'max') return Math.max(...values);
  const total = values.reduce((a, b) => a + b, 0);
  return op === 'sum' ? total : total / values.length;
}
