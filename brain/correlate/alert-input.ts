/**
 * What the correlator takes: an alert that began firing or resolved, as the rules engine
 * publishes it on the EventLog (`alert.firing` / `alert.resolved`, tags = the alert's labels
 * incl. alertname, attrs = annotations + severity + trigger + muted; see startRules in
 * brain/main.ts), or straight from an AlertChange.
 */
import type { BrainEvent } from '../state/event-log.js';
import type { AlertChange } from '../rules/group.js';
import { labelsKey } from '../rules/labels.js';
import { severities, severityLevel, type Severity } from '../rules/rule.js';

export interface CorrelatorAlert {
  readonly state: 'firing' | 'resolved';
  readonly alertname: string;
  /** The alert's labels including alertname (not the rule's file or group). */
  readonly labels: Record<string, string>;
  readonly severity: Severity;
  readonly atMs: number;
  readonly summary?: string | undefined;
  /** The mute reason when a silence, maintenance window or phase policy holds back its page. */
  readonly muted?: string | undefined;
}

/** The identity of an alert: the same cause re-firing after a brain restart has the same key. */
export function alertKey(a: Pick<CorrelatorAlert, 'labels'>): string {
  return labelsKey(a.labels);
}

/**
 * An AlertChange as the event every alert source publishes (rules and named detectors alike),
 * which `alertFromEvent` reads back.
 */
export function alertEvent(change: AlertChange): Omit<BrainEvent, 'id' | 'receivedUs'> {
  return {
    timeUs: change.atMs * 1000,
    kind: `alert.${change.state}`,
    source: 'brain',
    agentId: change.labels['agent'] ?? '',
    tags: { ...change.labels, rule: change.rule },
    attrs: { ...change.annotations, severity: change.severity, trigger: change.trigger, ...(change.muted ? { muted: change.muted.reason } : {}) },
    values: { value: change.value, active_at_ms: change.activeAt },
    severity: severityLevel[change.severity],
  };
}

/** An `alert.firing` / `alert.resolved` event as a CorrelatorAlert; anything else is undefined. */
export function alertFromEvent(e: BrainEvent): CorrelatorAlert | undefined {
  if (e.kind !== 'alert.firing' && e.kind !== 'alert.resolved') return undefined;
  const { rule: _rule, ...labels } = e.tags;
  const sev = e.attrs['severity'];
  return {
    state: e.kind === 'alert.firing' ? 'firing' : 'resolved',
    alertname: labels['alertname'] ?? _rule ?? 'unknown',
    labels,
    severity: (severities as readonly string[]).includes(sev ?? '') ? (sev as Severity) : 'major',
    atMs: Math.round(e.timeUs / 1000),
    summary: e.attrs['summary'],
    muted: e.attrs['muted'],
  };
}

/** An AlertChange (the RuleManager's onAlert) as a CorrelatorAlert. */
export function alertFromChange(c: AlertChange): CorrelatorAlert {
  return {
    state: c.state,
    alertname: c.labels['alertname'] ?? c.rule,
    labels: { ...c.labels },
    severity: c.severity,
    atMs: c.atMs,
    summary: c.annotations['summary'],
    muted: c.muted?.reason,
  };
}
