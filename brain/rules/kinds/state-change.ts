/**
 * state-change: an event that is itself the fault (a link down, a bond fail-over, a plant role
 * change, a process exit) fires at once, with no `for`. It stays firing until its `resolve`
 * event (link up, heartbeat back) and at least `hold` after the last occurrence; without a
 * `resolve` event it resolves `hold` after the last occurrence.
 */
import { labelsKey, pickLabels, type Labels } from '../../../lib/labels.js';
import type { FiredBy, Observation, RuleEvent, RuleQuery } from '../rule.js';
import { BaseRule, type RuleMeta } from './base.js';
import { eventLabels, selects, type EventSelector } from './event-selector.js';

export interface StateChangeSpec {
  readonly on: EventSelector;
  readonly resolve: EventSelector | undefined;
  readonly holdMs: number;
  readonly by: readonly string[] | undefined;
}

interface Occurrence {
  labels: Labels;
  lastOnMs: number;
  resolvedMs: number | undefined;
  count: number;
  /** Seen again since the last evaluation. */
  recurred: boolean;
  /** The latest occurrence's event, carried by the alert (a process exit's signal or code). */
  firedBy: FiredBy | undefined;
}

const MAX_OCCURRENCES = 10_000;

export class StateChangeRule extends BaseRule {
  override readonly eventKinds: readonly string[];
  readonly #spec: StateChangeSpec;
  readonly #occurrences = new Map<string, Occurrence>();
  /** Keys observed since the last evaluation (evalTouched). */
  readonly #touched = new Set<string>();
  dropped = 0;

  constructor(meta: RuleMeta, spec: StateChangeSpec) {
    super(meta);
    this.#spec = spec;
    this.eventKinds = spec.resolve && spec.resolve.kind !== spec.on.kind ? [spec.on.kind, spec.resolve.kind] : [spec.on.kind];
  }

  override observe(e: RuleEvent): boolean {
    const labels = eventLabels(e, this.#spec.by);
    const key = labelsKey(labels);
    if (selects(this.#spec.on, e)) {
      const o = this.#occurrences.get(key);
      if (o) {
        o.lastOnMs = e.atMs;
        o.resolvedMs = undefined;
        o.count++;
        o.recurred = true;
        o.firedBy = firedBy(e);
      } else if (this.#occurrences.size < MAX_OCCURRENCES) {
        this.#occurrences.set(key, {
          labels,
          lastOnMs: e.atMs,
          resolvedMs: undefined,
          count: 1,
          recurred: false,
          firedBy: firedBy(e),
        });
      } else {
        this.dropped++;
        return false;
      }
      this.#touched.add(key);
      return true;
    }
    if (this.#spec.resolve && selects(this.#spec.resolve, e)) {
      const o = this.#occurrences.get(key);
      if (o) {
        o.resolvedMs = e.atMs;
        this.#touched.add(key);
      }
      return o !== undefined;
    }
    return false;
  }

  /**
   * After a brain restart: an occurrence the incident journal says was firing (its full alert
   * labels), so the alert fires again at the next evaluation and its resolve event (a process
   * back, a link up) still resolves it. The event that raised it came before the restart.
   */
  restore(alertLabels: Labels, lastOnMs: number): void {
    const own = new Set(['alertname', ...Object.keys(this.labels)]);
    const labels = pickLabels(Object.fromEntries(Object.entries(alertLabels).filter(([k]) => !own.has(k))), this.#spec.by);
    const key = labelsKey(labels);
    if (this.#occurrences.has(key) || this.#occurrences.size >= MAX_OCCURRENCES) return;
    this.#occurrences.set(key, { labels, lastOnMs, resolvedMs: undefined, count: 1, recurred: false, firedBy: undefined });
  }

  eval(now: number, _q: RuleQuery): Observation[] {
    this.#touched.clear();
    const out: Observation[] = [];
    for (const [key, o] of this.#occurrences) out.push(this.#observe(key, o, now));
    return out;
  }

  evalTouched(now: number): Observation[] {
    const out: Observation[] = [];
    for (const key of this.#touched) {
      const o = this.#occurrences.get(key);
      if (o) out.push(this.#observe(key, o, now));
    }
    this.#touched.clear();
    return out;
  }

  #observe(key: string, o: Occurrence, now: number): Observation {
    const held = now - o.lastOnMs < this.#spec.holdMs;
    const unresolved = this.#spec.resolve !== undefined && o.resolvedMs === undefined;
    const active = held || unresolved;
    const obs: Observation = {
      labels: o.labels,
      value: o.count,
      active,
      cleared: !active,
      recurred: o.recurred,
      ...(o.firedBy ? { firedBy: o.firedBy } : {}),
    };
    o.recurred = false;
    if (!active) this.#occurrences.delete(key);
    return obs;
  }
}

function firedBy(e: RuleEvent): FiredBy {
  return { attrs: e.attrs, values: e.values, ...(e.eventTimeUs !== undefined ? { eventTimeUs: e.eventTimeUs } : {}) };
}
