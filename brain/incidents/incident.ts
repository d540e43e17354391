/**
 * The incident model (issue #5, item 5): one incident per root cause, open → acknowledged →
 * resolved, with its root alert(s), the symptoms attached to it and a timeline of everything
 * that happened (symptoms attached, acks, notes, silences, pages sent). Plain data, so the
 * journal stores it as JSON and a replay gives back exactly what was there.
 */
import type { ErrorCode } from '../../lib/errors.js';
import type { MuteKind } from '../calendar/muter.js';
import type { Severity } from '../rules/rule.js';

export type { Severity };
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** One alert as the incident holds it: a root (cause) or a symptom. */
export interface AlertRef {
  /** alertname + labels, the identity a re-fired alert is matched on after a restart. */
  readonly key: string;
  readonly alertname: string;
  readonly labels: Record<string, string>;
  /** "feed handler fh-a exited (signal 9)", "fh-b heartbeat lost". */
  text: string;
  state: 'firing' | 'resolved';
  severity: Severity;
  firedAt: number;
  resolvedAt?: number;
  /** The rules engine's mute reason (silence, maintenance, phase) when it held back the page. */
  muted?: string;
  /** Which muter that was: its kind and the silence's id, the window's or the policy's name. */
  mutedBy?: { readonly kind: MuteKind; readonly id: string };
}

export type TimelineKind =
  | 'opened'
  | 'root'
  | 'symptom'
  | 'alert'
  | 'severity'
  | 'ack'
  | 'note'
  | 'silence'
  | 'page'
  | 'suppressed'
  | 'error'
  | 'merged'
  | 'refused'
  | 'resolved';

export interface TimelineEntry {
  readonly at: number;
  readonly kind: TimelineKind;
  readonly text: string;
  readonly by?: string;
  /** A note written for the clients: the only timeline entries client status mails carry. */
  readonly forClients?: true;
  /** For `error` entries: the catalogue code (e.g. FW_ERR_PAGING_OUTBOX_FULL). */
  readonly code?: ErrorCode;
}

export interface Silence {
  readonly by: string;
  readonly reason: string;
  readonly at: number;
  /** Epoch ms the silence ends; absent = until the incident resolves. */
  readonly untilMs?: number;
}

export interface Impact {
  hosts: string[];
  components: string[];
  /** Pairs with a leg lost, and whether both were: "one leg lost, nothing lost yet" vs "both legs". */
  pairs: { pair: string; legsDown: number; legs: number }[];
  colour?: string;
}

export interface Incident {
  readonly id: string;
  status: IncidentStatus;
  severity: Severity;
  /** The root cause in words: what a pager shows first. */
  title: string;
  /** What the correlator groups on ("process:fh-host-a/fh-a", "nic:tp-host-a/eth1", "colour:red"). */
  causeKeys: string[];
  roots: AlertRef[];
  symptoms: AlertRef[];
  impact: Impact;
  openedAt: number;
  ackedAt?: number;
  ackedBy?: string;
  resolvedAt?: number;
  /** Set when this incident's alerts were re-parented into another (a late-arriving cause). */
  mergedInto?: string;
  silence?: Silence;
  /** The paging route its pages take, chosen once at its opening instant (brain/notify/route-stage.ts). */
  route?: string;
  timeline: TimelineEntry[];
  /** Timeline entries not kept because the timeline was full (bounded, and counted). */
  timelineDropped: number;
  /** Markdown, produced on resolution. */
  report?: string;
}

/** Bounds: an incident that runs all day must not grow without limit. */
export const MAX_TIMELINE = 1_000;
export const MAX_SYMPTOMS = 2_000;

const rank: Record<Severity, number> = { info: 0, warning: 1, minor: 2, major: 3, critical: 4 };

export function worse(a: Severity, b: Severity): Severity {
  return rank[a] >= rank[b] ? a : b;
}

/** Appends to the timeline within its bound; the oldest non-opening entries give way. */
export function pushTimeline(inc: Incident, entry: TimelineEntry): void {
  inc.timeline.push(entry);
  if (inc.timeline.length > MAX_TIMELINE) {
    inc.timeline.splice(1, 1);
    inc.timelineDropped++;
  }
}

export function isActive(inc: Incident): boolean {
  return inc.status !== 'resolved';
}

/** The notes written for the clients (the newest `max`, oldest first): all a client status mail shows. */
export function clientNotes(inc: Incident | undefined, max = 10): TimelineEntry[] {
  return (inc?.timeline ?? []).filter((e) => e.kind === 'note' && e.forClients === true).slice(-max);
}
