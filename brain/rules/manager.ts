/**
 * The rules engine as the brain drives it: loads every rule file of a directory, evaluates its
 * groups on the injected clock and on each event, and hot-reloads on change. A reload that
 * fails keeps the running set ("previous rule set restored") and says why at file:line:field;
 * unchanged groups keep running untouched, changed ones take over their alert state
 * (Prometheus rules/manager.go Update, CopyState).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Clock, Timer } from '../../lib/clock.js';
import { FloorwatchError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { Calendar } from '../calendar/calendar-file.js';
import { firstMute, type Muter } from '../calendar/muter.js';
import { marketPhaseAt } from '../calendar/phases.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { AlertInstance } from './alert-state.js';
import { RuleGroup, type AlertChange, type GroupContext } from './group.js';
import { TableQuery, toRuleEvent, type AgentLabels, type StallHistory } from './query.js';
import type { Rule } from './rule.js';
import { parseRuleFile, type GroupSpec } from './rule-file.js';
import { StateChangeRule } from './kinds/state-change.js';
import type { Labels } from '../../lib/labels.js';

export interface RuleManagerOptions {
  /** The rules directory: every `*.yaml` in it except `*.test.yaml` (not recursive). */
  readonly dir: string;
  /** Exactly these rule files instead of the directory's (rule unit tests). */
  readonly files?: readonly string[];
  readonly clock: Clock;
  readonly series: SeriesTable;
  /** The brain's own stalls: a threshold rule's `max_age` leaves them out of a value's age. */
  readonly stalls?: StallHistory;
  readonly events: EventLog;
  /** Merges the sending agent's host and labels into its events (`agentLabelsFrom(agents)`). */
  readonly agentLabels?: AgentLabels;
  /** Phases for `phases:` and `severity_by_phase:`; without it, phase-scoped rules never run. */
  readonly calendar?: Calendar;
  /** Consulted for each change; the reason is recorded on the change, the alert still raised. */
  readonly muters?: readonly Muter[];
  readonly log?: Logger;
  readonly metrics?: MetricsRegistry;
  /** Every alert that starts firing or resolves. Called synchronously, inside ingest for events. */
  readonly onAlert: (change: AlertChange) => void;
  readonly onReload?: (result: ReloadResult) => void;
  /** Watch the directory and reload on change (default true). */
  readonly watch?: boolean;
  /** Evaluate on slots of each group's interval (default true; rule tests drive `evaluateAll`). */
  readonly schedule?: boolean;
}

export type ReloadResult =
  | { readonly ok: true; readonly groups: number; readonly rules: number; readonly changedFiles: readonly string[] }
  | { readonly ok: false; readonly error: FloorwatchError; readonly message: string };

const RELOAD_SETTLE_MS = 100;

export class RuleManager {
  readonly #o: RuleManagerOptions;
  readonly #ctx: GroupContext;
  #groups = new Map<string, RuleGroup>();
  #texts = new Map<string, string>();
  #running = false;
  #unsubscribe: (() => void) | undefined;
  #watcher: FSWatcher | undefined;
  #reloadTimer: Timer | undefined;
  #watchReady: Promise<void> = Promise.resolve();
  reloadFailures = 0;
  lastReloadError: FloorwatchError | undefined;

  constructor(o: RuleManagerOptions) {
    this.#o = o;
    this.#ctx = {
      query: new TableQuery(o.series, o.stalls),
      phaseOf: (market, atMs) => {
        const m = o.calendar?.markets.get(market ?? o.calendar.defaultMarket ?? '');
        return m ? marketPhaseAt(m, atMs) : undefined;
      },
      mute: (labels, atMs) => firstMute(o.muters ?? [], labels, new Date(atMs)),
      emit: (c) => o.onAlert(c),
    };
    o.metrics?.counterFn('floorwatch_rule_iterations_missed_total', 'Rule group evaluation slots missed (late timers).', () =>
      sum(this.#groups, (g) => g.iterationsMissed),
    );
    o.metrics?.counterFn(
      'floorwatch_rule_reload_failures_total',
      'Rule reloads refused (previous rule set kept).',
      () => this.reloadFailures,
    );
    o.metrics?.gaugeFn(
      'floorwatch_rule_alerts_firing',
      'Alert instances firing now.',
      () => [...this.alerts()].filter((a) => a.alert.state === 'firing').length,
    );
  }

  /** Loads the rules (throws the ConfigError of a bad file: the brain must not start blind). */
  start(): void {
    const first = this.reload();
    if (!first.ok) throw first.error;
    this.#running = true;
    this.#unsubscribe = this.#o.events.subscribe((e) => this.#onEvent(toRuleEvent(e, this.#o.agentLabels)));
    if (this.#o.schedule ?? true) for (const g of this.#groups.values()) g.start(this.#o.clock, this.#ctx);
    if (this.#o.watch ?? true) {
      const watcher = watch(this.#o.dir, { ignoreInitial: true, depth: 0 });
      this.#watcher = watcher;
      this.#watchReady = new Promise((resolve) => watcher.once('ready', () => resolve()));
      this.#watcher.on('all', () => this.#reloadSoon());
      this.#watcher.on('error', (err) => this.#o.log?.warn({ err }, 'rules directory watch failed'));
    }
  }

  /** Resolves once the directory watch is set up (edits before that may be missed). */
  watching(): Promise<void> {
    return this.#watchReady;
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.#reloadTimer?.cancel();
    for (const g of this.#groups.values()) g.stop();
    await this.#watcher?.close();
  }

  get groups(): readonly RuleGroup[] {
    return [...this.#groups.values()];
  }

  /** Every alert instance now: pending, firing, and resolved ones still retained. */
  *alerts(): Generator<{ group: string; rule: Rule; alert: AlertInstance }> {
    for (const g of this.#groups.values()) for (const a of g.alerts()) yield { group: g.name, ...a };
  }

  /**
   * After a brain restart, the alerts the incident journal holds as firing: a state-change
   * rule gets its occurrence back (the event that raised it will not come again); every other
   * kind re-derives its state from the data the agents send, and fires again if still true.
   */
  restoreFiring(alerts: readonly { alertname: string; labels: Labels; firedAt: number }[]): number {
    let restored = 0;
    for (const g of this.#groups.values()) {
      const before = restored;
      for (const rule of g.rules) {
        if (!(rule instanceof StateChangeRule)) continue;
        for (const a of alerts) {
          if (a.alertname !== rule.name || !Object.entries(rule.labels).every(([k, v]) => a.labels[k] === v)) continue;
          rule.restore(a.labels, a.firedAt);
          restored++;
        }
      }
      // Firing again now, before any event: a resolve replayed first would otherwise find no alert to resolve.
      if (restored > before) g.evaluate(this.#o.clock.now(), this.#ctx);
    }
    return restored;
  }

  /** Evaluates every group at `now` (rule tests; the slots do this when scheduled). */
  evaluateAll(now: number = this.#o.clock.now()): void {
    for (const g of this.#groups.values()) g.evaluate(now, this.#ctx);
  }

  /** Re-reads the directory; on any error keeps the running set and reports why. */
  reload(): ReloadResult {
    let texts: Map<string, string>;
    let specs: GroupSpec[];
    try {
      texts = this.#o.files ? new Map(this.#o.files.map((f) => [f, readFileSync(f, 'utf8')])) : readRuleTexts(this.#o.dir);
      const markets = this.#o.calendar ? new Set(this.#o.calendar.markets.keys()) : undefined;
      specs = [...texts].map(([file, text]) => parseRuleFile(text, file, markets));
    } catch (err) {
      const error = err instanceof FloorwatchError ? err : new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', (err as Error).message);
      return this.#refused(error);
    }
    const changedFiles = [...texts.keys(), ...this.#texts.keys()].filter(
      (f, i, all) => all.indexOf(f) === i && texts.get(f) !== this.#texts.get(f),
    );
    this.#texts = texts;
    if (changedFiles.length > 0 || this.#groups.size !== specs.length) this.#replace(specs);
    this.lastReloadError = undefined;
    const result: ReloadResult = { ok: true, groups: this.#groups.size, rules: sum(this.#groups, (g) => g.rules.length), changedFiles };
    if (changedFiles.length > 0) this.#o.log?.info({ changedFiles, rules: result.rules }, 'rules loaded');
    this.#o.onReload?.(result);
    return result;
  }

  #refused(error: FloorwatchError): ReloadResult {
    this.reloadFailures++;
    this.lastReloadError = error;
    const message = `${error.message}; previous rule set restored`;
    const result: ReloadResult = { ok: false, error, message };
    if (this.#running) {
      this.#o.log?.error({ err: error }, 'rules reload refused; previous rule set restored');
      this.#o.events.brainEvent('rules.reload_failed', {}, { rules: sum(this.#groups, (g) => g.rules.length) }, 2);
    }
    this.#o.onReload?.(result);
    return result;
  }

  #replace(specs: GroupSpec[]): void {
    const now = this.#o.clock.now();
    const next = new Map<string, RuleGroup>();
    for (const spec of specs) {
      const old = this.#groups.get(spec.file);
      const fresh = new RuleGroup(spec);
      if (old && old.definition === fresh.definition) {
        next.set(spec.file, old); // unchanged: keeps running as it is
        continue;
      }
      // Rules whose definition did not change keep their object, so event and window state survive.
      const rules = spec.rules.map((r) => old?.rules.find((o) => o.definition === r.definition) ?? r);
      const group = new RuleGroup({ ...spec, rules });
      if (old) group.copyStateFrom(old);
      next.set(spec.file, group);
    }
    for (const [file, old] of this.#groups) {
      const successor = next.get(file);
      if (successor === old) continue;
      old.stop();
      old.retire(now, this.#ctx, successor);
    }
    this.#groups = next;
    if (this.#running && (this.#o.schedule ?? true)) for (const g of next.values()) if (!g.scheduled) g.start(this.#o.clock, this.#ctx);
  }

  #reloadSoon(): void {
    this.#reloadTimer?.cancel();
    // An editor's save is several events; one reload after they settle. chokidar may drop the
    // last `change` of a burst, so look once more a moment later (a no-op when nothing changed).
    this.#reloadTimer = this.#o.clock.setTimeout(() => {
      this.reload();
      this.#reloadTimer = this.#o.clock.setTimeout(() => this.reload(), RELOAD_SETTLE_MS * 3);
    }, RELOAD_SETTLE_MS);
  }

  #onEvent(e: ReturnType<typeof toRuleEvent>): void {
    const now = this.#o.clock.now();
    for (const g of this.#groups.values()) g.onEvent(e, now, this.#ctx);
  }
}

/** `file → text` of every rule file in `dir`, in name order. */
export function readRuleTexts(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name) || /\.test\.ya?ml$/.test(name)) continue;
    const file = join(dir, name);
    out.set(file, readFileSync(file, 'utf8'));
  }
  return out;
}

function sum<K>(groups: Map<K, RuleGroup>, f: (g: RuleGroup) => number): number {
  let n = 0;
  for (const g of groups.values()) n += f(g);
  return n;
}
