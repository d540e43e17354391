/**
 * state-change: an event that is itself the fault (a link down, a bond fail-over, a plant role
 * change, a process exit) fires at once, with no `for`. It stays firing until its `resolve`
 * event (link up, heartbeat back) and at least `hold` after the last occurrence; without a
 * `resolve` event it resolves `hold` after the last occurrence.
 */
import { labelsKey, pickLabels, type Labels } from '../labels.js';
import type { Observation, RuleEvent, RuleQuery } from '../rule.js';
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
}

const MAX_OCCURRENCES = 10_000;

export class StateChangeRule extends BaseRule {
  override readonly eventKinds: readonly string[];
  readonly #spec: StateChangeSpec;
  readonly #occurrences = new Map<string, Occurrence>();
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
      } else if (this.#occurrences.size < MAX_OCCURRENCES) {
        this.#occurrences.set(key, { labels, lastOnMs: e.atMs, resolvedMs: undefined, count: 1, recurred: false });
      } else {
        this.dropped++;
        return false;
      }
      return true;
    }
    if (this.#spec.resolve && selects(this.#spec.resolve, e)) {
      const o = this.#occurrences.get(key);
      if (o) o.resolvedMs = e.atMs;
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
    this.#occurrences.set(key, { labels, lastOnMs, resolvedMs: undefined, count: 1, recurred: false });
  }

  eval(now: number, _q: RuleQuery): Observation[] {
    const out: Observation[] = [];
    for (const [key, o] of this.#occurrences) {
      const held = now - o.lastOnMs < this.#spec.holdMs;
      const unresolved = this.#spec.resolve !== undefined && o.resolvedMs === undefined;
      const active = held || unresolved;
      out.push({ labels: o.labels, value: o.count, active, cleared: !active, recurred: o.recurred });
      o.recurred = false;
      if (!active) this.#occurrences.delete(key);
    }
    return out;
  }
}
