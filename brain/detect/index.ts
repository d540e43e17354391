/**
 * The named detectors as one brain stage (issue #5, item 4), next to the rules: on every
 * `check_every_ms` each detector looks at the latest samples, its findings go through the
 * rules' alert state machine (`for`, firing, resolved), and every change is published on the
 * EventLog as `alert.firing` / `alert.resolved` exactly as rule alerts are, so the Correlator
 * places them and paging pages them.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { MuteReason } from '../calendar/muter.js';
import { alertEvent } from '../rules/alert-event.js';
import type { AlertChange } from '../rules/group.js';
import { step, type AlertInstance } from '../rules/alert-state.js';
import { labelsKey, type Labels } from '../../lib/labels.js';
import type { RuleQuery } from '../rules/rule.js';
import type { EventLog } from '../state/event-log.js';
import type { DetectorsConfig } from './config.js';
import type { Description, Detector, Finding } from './detector.js';
import { DirtyMemoryFlushPattern } from './dirty-flush.js';
import { FixRoundTripSlow } from './fix-round-trip.js';

export { detectorsSchema, type DetectorsConfig } from './config.js';

/** The enabled detectors of a configuration. */
export function createDetectors(config: DetectorsConfig): Detector[] {
  return [
    ...(config.dirty_flush.enabled ? [new DirtyMemoryFlushPattern(config.dirty_flush)] : []),
    ...(config.fix_round_trip.enabled ? [new FixRoundTripSlow(config.fix_round_trip)] : []),
  ];
}

export interface DetectorStageOptions {
  readonly clock: Clock;
  readonly query: RuleQuery;
  readonly events: EventLog;
  readonly detectors: readonly Detector[];
  readonly checkEveryMs: number;
  /** Silences, maintenance windows and phase policy: recorded on the change, the alert still raised. */
  readonly mute?: (labels: Labels, atMs: number) => MuteReason | undefined;
}

export class DetectorStage {
  readonly #o: DetectorStageOptions;
  readonly #alerts = new Map<Detector, Map<string, AlertInstance>>();
  readonly #keys = new WeakMap<Labels, { labels: Labels; key: string }>();
  #timer: Timer | undefined;
  checks = 0;

  constructor(o: DetectorStageOptions) {
    this.#o = o;
    for (const d of o.detectors) this.#alerts.set(d, new Map());
  }

  start(): void {
    this.#timer ??= this.#o.clock.setInterval(() => this.check(), this.#o.checkEveryMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Samples forgotten at the detectors' bounds. */
  get dropped(): number {
    return this.#o.detectors.reduce((n, d) => n + d.dropped, 0);
  }

  /** One look by every detector; changes are published before it returns. */
  check(): void {
    this.checks++;
    const now = this.#o.clock.now();
    for (const d of this.#o.detectors) {
      const alerts = this.#alerts.get(d)!;
      const stepped = new Set<string>();
      for (const f of d.observe(this.#o.query, now)) {
        const { labels, key } = this.#alertLabels(d, f.labels);
        // Most label sets are quiet and have no alert: nothing to step.
        if (!f.active && !alerts.has(key)) continue;
        stepped.add(key);
        this.#step(d, alerts, key, { ...f, labels }, now);
      }
      // An alert whose label set the detector no longer reports: not active, cleared.
      for (const key of [...alerts.keys()]) if (!stepped.has(key)) this.#step(d, alerts, key, undefined, now);
    }
  }

  #step(d: Detector, alerts: Map<string, AlertInstance>, key: string, finding: Finding | undefined, now: number): void {
    const prev = alerts.get(key);
    const next = step(prev, finding, now, { forMs: d.forMs, keepFiringForMs: 0 });
    if (next) alerts.set(key, next);
    else alerts.delete(key);
    const fired = next?.state === 'firing' && prev?.state !== 'firing';
    const resolved = prev?.state === 'firing' && next?.state === 'inactive';
    if (fired || resolved) this.#o.events.publish(alertEvent(this.#change(d, next!, finding, now)));
  }

  /** The alert's labels and key, kept per label set: a detector hands the same object every look. */
  #alertLabels(d: Detector, labels: Labels): { labels: Labels; key: string } {
    let known = this.#keys.get(labels);
    if (!known) {
      const withName = { ...labels, alertname: d.alertname };
      known = { labels: withName, key: labelsKey(withName) };
      this.#keys.set(labels, known);
    }
    return known;
  }

  #change(d: Detector, a: AlertInstance, f: Finding | undefined, now: number): AlertChange {
    return {
      state: a.state === 'firing' ? 'firing' : 'resolved',
      group: 'detectors',
      file: '<detectors>',
      rule: d.alertname,
      labels: a.labels,
      severity: d.severity,
      phase: undefined,
      annotations: f ? describe(f.describe()) : {},
      value: a.value,
      activeAt: a.activeAt,
      firedAt: a.firedAt,
      resolvedAt: a.resolvedAt,
      atMs: now,
      trigger: 'slot',
      muted: this.#o.mute?.(a.labels, now),
    };
  }
}

function describe(d: Description): Labels {
  return { summary: d.summary, ...d.attrs };
}
