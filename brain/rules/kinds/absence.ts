/**
 * absence: a series (a heartbeat, an agent's self-statistics, a feed) not updated for a
 * duration, or for N expected intervals ("The paper's failover logic counts heartbeats; so
 * should the brain"). The value is the age in milliseconds.
 */
import type { Observation, RuleQuery } from '../rule.js';
import { BaseRule, type RuleMeta } from './base.js';

export interface AbsenceSpec {
  readonly measurement: string;
  readonly field: string;
  /** Older than this is absent: `stale_after`, or `missed` × `every`. */
  readonly staleAfterMs: number;
}

export class AbsenceRule extends BaseRule {
  readonly #spec: AbsenceSpec;

  constructor(meta: RuleMeta, spec: AbsenceSpec) {
    super(meta);
    this.#spec = spec;
  }

  eval(now: number, q: RuleQuery): Observation[] {
    const out: Observation[] = [];
    for (const s of q.series(this.#spec.measurement, this.#spec.field)) {
      // Never sampled: the series was only declared; absence starts at the first sample.
      if (s.atMs === 0 || !this.inScope(s.labels)) continue;
      const age = now - s.atMs;
      const active = age > this.#spec.staleAfterMs;
      out.push({ labels: s.labels, value: age, active, cleared: !active });
    }
    return out;
  }
}
