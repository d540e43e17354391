/**
 * What the correlator takes: an alert that began firing or resolved, read back from the event
 * its producer published (encoding: brain/rules/alert-event.ts), or straight from an AlertChange.
 */
import type { BrainEvent } from '../state/event-log.js';
import type { AlertChange } from '../rules/group.js';
import { labelsKey } from '../../lib/labels.js';
import { muteKinds, type MuteKind } from '../calendar/muter.js';
import { FIRED_BY } from '../rules/alert-event.js';
import { severities, type FiredBy, type Severity } from '../rules/rule.js';

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
  /** That muter's kind and id. */
  readonly mutedBy?: { readonly kind: MuteKind; readonly id: string } | undefined;
  /** The event that fired it (state-change rules): a process exit's signal or exit code. */
  readonly firedBy?: FiredBy | undefined;
}

/** The identity of an alert: the same cause re-firing after a brain restart has the same key. */
export function alertKey(a: Pick<CorrelatorAlert, 'labels'>): string {
  return labelsKey(a.labels);
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
    mutedBy: muteKinds.includes(e.attrs['muted_kind'] as MuteKind)
      ? { kind: e.attrs['muted_kind'] as MuteKind, id: e.attrs['muted_id'] ?? '' }
      : undefined,
    firedBy: { attrs: unprefixed(e.attrs), values: unprefixed(e.values) },
  };
}

function unprefixed<V>(o: Readonly<Record<string, V>>): Record<string, V> {
  return Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (k.startsWith(FIRED_BY) ? [[k.slice(FIRED_BY.length), v]] : [])));
}

/** How a process ended, from the event that fired its alert: "signal 9", "signal SIGKILL", "exit code 1". */
export function exitDetail(firedBy: FiredBy | undefined): string | undefined {
  const sig = firedBy?.values['signal'];
  if (sig !== undefined && sig > 0) return `signal ${sig}`;
  if (firedBy?.attrs['signal']) return `signal ${firedBy.attrs['signal']}`;
  const code = firedBy?.attrs['exit_code'];
  return code !== undefined ? `exit code ${code}` : undefined;
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
    mutedBy: c.muted ? { kind: c.muted.kind, id: c.muted.id } : undefined,
    firedBy: c.firedBy,
  };
}
