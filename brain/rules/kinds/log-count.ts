/**
 * log-count: at least N log matches (or events of a kind) in a sliding window, per label set
 * ("ERROR counts"). From events (`log.match` of an `event` log rule, `process.restart`...), it
 * reacts on arrival; from a counter series (`log_rule.matches`), on the group's slot.
 */
import { labelsKey, type Labels } from '../../../lib/labels.js';
import type { Observation, RuleEvent, RuleQuery } from '../rule.js';
import { BaseRule, compare, type RuleMeta } from './base.js';
import { eventLabels, selects, type EventSelector } from './event-selector.js';
import { SampleWindows } from './sample-window.js';

export type LogCountSource =
  { readonly event: EventSelector; readonly by: readonly string[] | undefined } | { readonly measurement: string; readonly field: string };

export interface LogCountSpec {
  readonly source: LogCountSource;
  readonly windowMs: number;
  readonly atLeast: number;
}

/** Per label set, arrival times are kept up to this many (the count saturates there). */
const MAX_TIMES_PER_SET = 10_000;
const MAX_SETS = 10_000;

export class LogCountRule extends BaseRule {
  override readonly eventKinds: readonly string[];
  readonly #spec: LogCountSpec;
  readonly #arrivals = new Map<string, { labels: Labels; times: number[] }>();
  readonly #windows: SampleWindows;
  dropped = 0;

  constructor(meta: RuleMeta, spec: LogCountSpec) {
    super(meta);
    this.#spec = spec;
    this.eventKinds = 'event' in spec.source ? [spec.source.event.kind] : [];
    this.#windows = new SampleWindows(spec.windowMs);
  }

  override observe(e: RuleEvent): boolean {
    const src = this.#spec.source;
    if (!('event' in src) || !selects(src.event, e)) return false;
    const labels = eventLabels(e, src.by);
    const key = labelsKey(labels);
    let a = this.#arrivals.get(key);
    if (!a) {
      if (this.#arrivals.size >= MAX_SETS) {
        this.dropped++;
        return false;
      }
      a = { labels, times: [] };
      this.#arrivals.set(key, a);
    }
    a.times.push(e.atMs);
    if (a.times.length > MAX_TIMES_PER_SET) a.times.shift();
    return true;
  }

  eval(now: number, q: RuleQuery): Observation[] {
    const level = { above: this.#spec.atLeast - 1e-9 };
    const src = this.#spec.source;
    const out: Observation[] = [];
    if ('event' in src) {
      for (const [key, a] of this.#arrivals) {
        while (a.times.length > 0 && a.times[0]! <= now - this.#spec.windowMs) a.times.shift();
        out.push(compare(a.labels, a.times.length, level));
        if (a.times.length === 0) this.#arrivals.delete(key);
      }
      return out;
    }
    for (const s of q.series(src.measurement, src.field)) {
      if (s.atMs === 0 || !this.inScope(s.labels)) continue;
      this.#windows.record(s.labels, s.atMs, s.value, now);
      const inc = this.#windows.increase(s.labels, true);
      if (inc) out.push(compare(s.labels, inc.delta, level));
    }
    return out;
  }
}
