/**
 * rate: how fast a counter or gauge changes over a window (NIC errors per second, a plant's
 * sequence no longer advancing, a gauge falling). Per second by default, or the increase over
 * the whole window with `per: window`.
 */
import type { Observation, RuleQuery } from '../rule.js';
import { BaseRule, compare, type Level, type RuleMeta } from './base.js';
import { SampleWindows } from './sample-window.js';

export interface RateSpec {
  readonly measurement: string;
  readonly field: string;
  readonly windowMs: number;
  readonly level: Level;
  /** A counter's drop is a reset, not a negative rate. */
  readonly counter: boolean;
  /** 'second': change per second; 'window': the increase over the window. */
  readonly per: 'second' | 'window';
}

export class RateRule extends BaseRule {
  readonly #spec: RateSpec;
  readonly #windows: SampleWindows;

  constructor(meta: RuleMeta, spec: RateSpec) {
    super(meta);
    this.#spec = spec;
    this.#windows = new SampleWindows(spec.windowMs);
  }

  eval(now: number, q: RuleQuery): Observation[] {
    const out: Observation[] = [];
    for (const s of q.series(this.#spec.measurement, this.#spec.field)) {
      if (s.atMs === 0 || !this.inScope(s.labels)) continue;
      this.#windows.record(s.labels, s.atMs, s.value, now);
      const inc = this.#windows.increase(s.labels, this.#spec.counter);
      // Fewer than two samples in the window: nothing to judge yet (not "rate zero").
      if (!inc || inc.spanMs <= 0) continue;
      const value = this.#spec.per === 'window' ? inc.delta : (inc.delta * 1000) / inc.spanMs;
      out.push(compare(s.labels, value, this.#spec.level));
    }
    return out;
  }
}
