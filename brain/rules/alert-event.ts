/**
 * How an alert change is published on the EventLog: `alert.firing` / `alert.resolved`, tags =
 * the alert's labels incl. alertname (+ rule), attrs = annotations + severity + trigger + the
 * mute reason (text, kind, id) + the firing event's attributes under `fired_by.` (its values
 * likewise in values). The producers of alerts (the rules engine, the named detectors) own this
 * encoding; the correlator reads it back (brain/correlate/alert-input.ts `alertFromEvent`).
 */
import type { BrainEvent } from '../state/event-log.js';
import type { AlertChange } from './group.js';
import { severityLevel } from './rule.js';

export const FIRED_BY = 'fired_by.';

export function alertEvent(change: AlertChange): Omit<BrainEvent, 'id' | 'receivedUs'> {
  const muted: Record<string, string> = change.muted
    ? { muted: change.muted.reason, muted_kind: change.muted.kind, muted_id: change.muted.id }
    : {};
  const prefixed = <V>(o: Readonly<Record<string, V>> | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [FIRED_BY + k, v]));
  return {
    timeUs: change.atMs * 1000,
    kind: `alert.${change.state}`,
    source: 'brain',
    agentId: change.labels['agent'] ?? '',
    tags: { ...change.labels, rule: change.rule },
    attrs: { ...prefixed(change.firedBy?.attrs), ...change.annotations, severity: change.severity, trigger: change.trigger, ...muted },
    values: { ...prefixed(change.firedBy?.values), value: change.value, active_at_ms: change.activeAt },
    severity: severityLevel[change.severity],
  };
}
