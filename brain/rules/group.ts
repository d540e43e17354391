/**
 * A group of rules (one file) evaluated together: on aligned slots of its interval, offset by
 * a hash of its name so groups spread over the interval (Prometheus rules/group.go), and at
 * once on each event an event-driven rule takes, so a process death or a link down is not
 * delayed to the next slot. Keeps each rule's alert instances and turns transitions into
 * AlertChanges.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Phase } from '../calendar/phase.js';
import type { MuteReason } from '../calendar/muter.js';
import { step, type AlertInstance } from './alert-state.js';
import { labelsKey, matchesAll, type Labels } from '../../lib/labels.js';
import { severityIn, type FiredBy, type Observation, type Rule, type RuleEvent, type RuleQuery, type Severity } from './rule.js';
import type { GroupSpec } from './rule-file.js';

/** An alert that began firing or resolved: what the brain's correlation and paging take. */
export interface AlertChange {
  readonly state: 'firing' | 'resolved';
  readonly group: string;
  readonly file: string;
  readonly rule: string;
  /** The rule's labels, the observed label set and `alertname`. */
  readonly labels: Labels;
  readonly severity: Severity;
  /** The phase of the rule's market at the change (undefined without a calendar). */
  readonly phase: Phase | undefined;
  readonly annotations: Labels;
  readonly value: number;
  readonly activeAt: number;
  readonly firedAt: number | undefined;
  readonly resolvedAt: number | undefined;
  readonly atMs: number;
  /** What made the change: an event (immediate path) or a slot. */
  readonly trigger: 'event' | 'slot';
  /** Set when a silence, maintenance window or phase policy holds back the page. */
  readonly muted: MuteReason | undefined;
  /** The event that fired it, for state-change rules (a process exit: its signal or exit code). */
  readonly firedBy?: FiredBy | undefined;
}

/** What a group needs from its surroundings; the manager provides it. */
export interface GroupContext {
  readonly query: RuleQuery;
  phaseOf(market: string | undefined, atMs: number): Phase | undefined;
  mute(labels: Labels, atMs: number): MuteReason | undefined;
  emit(change: AlertChange): void;
}

export class RuleGroup {
  readonly name: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly rules: readonly Rule[];
  /** Same definition = same group: a reload keeps it running as it is. */
  readonly definition: string;
  iterationsMissed = 0;
  evaluations = 0;
  readonly #alerts = new Map<Rule, Map<string, AlertInstance>>();
  /** Per rule: observed label set → its alert's labels and key (null: out of scope). */
  readonly #scoped = new Map<Rule, WeakMap<Labels, { labels: Labels; key: string } | null>>();
  #timer: Timer | undefined;

  constructor(spec: GroupSpec) {
    this.name = spec.name;
    this.file = spec.file;
    this.intervalMs = spec.intervalMs;
    this.rules = spec.rules;
    this.definition = JSON.stringify([spec.name, spec.intervalMs, spec.rules.map((r) => r.definition)]);
    for (const r of spec.rules) {
      this.#alerts.set(r, new Map());
      this.#scoped.set(r, new WeakMap());
    }
  }

  /** Evaluates every rule at `now` (a slot, or a test's eval time). */
  evaluate(now: number, ctx: GroupContext): void {
    this.evaluations++;
    for (const rule of this.rules) this.#evalRule(rule, now, ctx, 'slot');
  }

  /** Gives an event to the rules that take its kind, and evaluates those rules at once. */
  onEvent(e: RuleEvent, now: number, ctx: GroupContext): void {
    for (const rule of this.rules) {
      if (!rule.eventKinds.includes(e.kind) || !matchesAll(rule.scope.matchers, e.labels)) continue;
      if (rule.observe(e)) this.#evalRule(rule, now, ctx, 'event');
    }
  }

  /** Current instances (pending, firing, and resolved ones kept for retention). */
  *alerts(): Generator<{ rule: Rule; alert: AlertInstance }> {
    for (const [rule, m] of this.#alerts) for (const alert of m.values()) yield { rule, alert };
  }

  /** Takes the alert state of `old`'s rules with the same name and labels (Prometheus CopyState). */
  copyStateFrom(old: RuleGroup): void {
    for (const rule of this.rules) {
      const twin = old.rules.find((r) => r.name === rule.name && labelsKey(r.labels) === labelsKey(rule.labels));
      const state = twin && old.#alerts.get(twin);
      if (state) this.#alerts.set(rule, new Map(state));
    }
  }

  /** Runs on aligned slots: slot k is at k·interval + offset. Missed slots are counted. */
  start(clock: Clock, ctx: GroupContext): void {
    const offset = hashOffset(`${this.file}\u0000${this.name}`, this.intervalMs);
    const nextSlot = (now: number) => Math.floor((now - offset) / this.intervalMs) * this.intervalMs + offset + this.intervalMs;
    const schedule = (slot: number) => {
      this.#timer = clock.setTimeout(() => {
        const now = clock.now();
        const late = Math.floor((now - slot) / this.intervalMs);
        if (late > 0) this.iterationsMissed += late;
        this.evaluate(now, ctx);
        schedule(nextSlot(now));
      }, slot - clock.now());
    };
    schedule(nextSlot(clock.now()));
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * This group was replaced or removed: its firing alerts that no rule of `successor` carries
   * on (same name and labels) resolve now, so no incident is left open by a deleted rule.
   */
  retire(now: number, ctx: GroupContext, successor: RuleGroup | undefined): void {
    for (const [rule, state] of this.#alerts) {
      if (successor?.rules.some((r) => r.name === rule.name && labelsKey(r.labels) === labelsKey(rule.labels))) continue;
      for (const a of state.values()) {
        if (a.state !== 'firing') continue;
        const resolved: AlertInstance = { ...a, state: 'inactive', resolvedAt: now, keepFiringSince: undefined };
        ctx.emit(this.#change(rule, resolved, ctx.phaseOf(rule.scope.market, now), now, 'slot', ctx, undefined));
      }
      state.clear();
    }
  }

  #evalRule(rule: Rule, now: number, ctx: GroupContext, trigger: 'event' | 'slot'): void {
    const phase = ctx.phaseOf(rule.scope.market, now);
    const inPhase = rule.scope.phases.length === 0 || (phase !== undefined && rule.scope.phases.includes(phase));
    if (trigger === 'event' && inPhase && rule.evalTouched) {
      // Only the label sets the event touched: their alerts are stepped, the others at the next slot.
      const state = this.#alerts.get(rule)!;
      for (const o of rule.evalTouched(now)) {
        const alert = this.#alertLabels(rule, o.labels);
        if (alert && (o.active || state.has(alert.key)))
          this.#step(rule, state, alert.key, { ...o, labels: alert.labels }, phase, now, trigger, ctx);
      }
      return;
    }
    // Out of its phases a rule observes nothing, so what it had raised resolves.
    const observed = inPhase ? rule.eval(now, ctx.query) : [];
    const state = this.#alerts.get(rule)!;
    // Only label sets that are active or hold an alert are stepped: on a quiet floor that is
    // none of the thousands observed, and step() of nothing by an inactive observation is nothing.
    const stepping = new Map<string, Observation>();
    for (const o of observed) {
      const alert = this.#alertLabels(rule, o.labels);
      if (!alert) continue;
      if (o.active || state.has(alert.key) || stepping.has(alert.key)) stepping.set(alert.key, { ...o, labels: alert.labels });
    }
    const held = new Set(state.keys());
    for (const key of held) this.#step(rule, state, key, stepping.get(key), phase, now, trigger, ctx);
    for (const [key, o] of stepping) if (!held.has(key)) this.#step(rule, state, key, o, phase, now, trigger, ctx);
  }

  #step(
    rule: Rule,
    state: Map<string, AlertInstance>,
    key: string,
    o: Observation | undefined,
    phase: Phase | undefined,
    now: number,
    trigger: 'event' | 'slot',
    ctx: GroupContext,
  ): void {
    const prev = state.get(key);
    const next = step(prev, o, now, rule.timing);
    if (next) state.set(key, next);
    else state.delete(key);
    const fired = next?.state === 'firing' && (prev?.state !== 'firing' || o?.recurred === true);
    const resolved = prev?.state === 'firing' && next?.state === 'inactive';
    if (fired || resolved) ctx.emit(this.#change(rule, next!, phase, now, trigger, ctx, fired ? o?.firedBy : undefined));
  }

  /**
   * An observed label set in the rule's scope, with the rule's labels and `alertname`, and its
   * key; undefined when out of scope. Label sets are never changed once built, and a series
   * observes the same one at every evaluation, so this is worked out once per series.
   */
  #alertLabels(rule: Rule, observed: Labels): { labels: Labels; key: string } | undefined {
    const cache = this.#scoped.get(rule)!;
    let known = cache.get(observed);
    if (known === undefined) {
      if (matchesAll(rule.scope.matchers, observed)) {
        const labels = { ...observed, ...rule.labels, alertname: rule.name };
        known = { labels, key: labelsKey(labels) };
      } else known = null;
      cache.set(observed, known);
    }
    return known ?? undefined;
  }

  #change(
    rule: Rule,
    a: AlertInstance,
    phase: Phase | undefined,
    now: number,
    trigger: 'event' | 'slot',
    ctx: GroupContext,
    firedBy: FiredBy | undefined,
  ): AlertChange {
    const severity = severityIn(rule, phase);
    return {
      state: a.state === 'firing' ? 'firing' : 'resolved',
      group: this.name,
      file: this.file,
      rule: rule.name,
      labels: a.labels,
      severity,
      phase,
      annotations: expand(rule.annotations, a.labels, a.value),
      value: a.value,
      activeAt: a.activeAt,
      firedAt: a.firedAt,
      resolvedAt: a.resolvedAt,
      atMs: now,
      trigger,
      muted: ctx.mute({ ...a.labels, severity, ...(phase ? { phase } : {}) }, now),
      ...(firedBy ? { firedBy } : {}),
    };
  }
}

/** `{{host}}` → the label's value; `{{value}}` → the observed value. */
function expand(annotations: Labels, labels: Labels, value: number): Labels {
  const out: Record<string, string> = {};
  for (const [k, text] of Object.entries(annotations)) {
    out[k] = text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) =>
      name === 'value' ? String(Math.round(value * 1000) / 1000) : (labels[name] ?? ''),
    );
  }
  return out;
}

/** A stable offset in [0, interval) from a name (FNV-1a), so groups do not all run at once. */
function hashOffset(name: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % intervalMs;
}
