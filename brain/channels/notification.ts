/**
 * What the incident engine asks the paging half to deliver: one notification for one recipient.
 * Channels render it (pager text, mail, JSON); the outbox keys it so it is never sent twice.
 */

/** 1 is the worst. Rendered as SEV1..SEV4 everywhere, so a pager and a mail say the same thing. */
export type Severity = 1 | 2 | 3 | 4;

export type TradingPhase = 'bod' | 'intraday' | 'eod' | 'closed';

/** page: open/escalate; resolve: the all-clear; status: periodic client update; bod/eod: day notices. */
export type NotificationKind = 'page' | 'resolve' | 'status' | 'bod' | 'eod';

/**
 * Why a notification goes out: the escalator's reasons (first page, an escalation step, a
 * reminder while unacknowledged, the resolve notice) and the other producers' (client updates,
 * day notices). Carried with the notification into the outbox, so the timeline can say it.
 */
export type NotifyReason = 'firstPage' | 'escalation' | 'repeatElapsed' | 'resolved' | 'clientUpdate' | 'dayNotice';

export interface Recipient {
  /** Stable id from the on-call config (part of the outbox key). */
  readonly id: string;
  readonly name: string;
  /** SNPP pager id, as the gateway's pagermap knows it. */
  readonly pager?: string;
  readonly email?: string;
  /** The recipient's IANA zone, for "when" in their own wall time; UTC when absent. */
  readonly timeZone?: string;
}

export interface Link {
  readonly label: string;
  readonly url: string;
}

export interface TimelineEntry {
  readonly at: number;
  readonly text: string;
}

export interface Notification {
  readonly incidentId: string;
  readonly severity: Severity;
  /** The broken thing, most important words first: "feed handler A down". */
  readonly what: string;
  /** Host, site or desk: "ldn-1". */
  readonly where: string;
  /** When the incident started, epoch ms. */
  readonly when: number;
  readonly phase: TradingPhase;
  /** 0 for the first page; each escalation or repeat round adds one. */
  readonly escalationStep: number;
  readonly kind: NotificationKind;
  readonly recipient: Recipient;
  readonly links: readonly Link[];
  /** The latest few timeline entries, oldest first; the mail shows them, the pager does not. */
  readonly timeline: readonly TimelineEntry[];
  /** The root cause the brain inferred, when it has one. */
  readonly rootCause?: string;
  /** The route that chose its channels (paging routes, client updates, day notices); persisted with it. */
  readonly route?: string;
  /** Why it goes out (absent in outboxes written before it was recorded). */
  readonly reason?: NotifyReason;
  /** Extra body lines for a mail (the EOD summary's incident list); a pager never shows them. */
  readonly details?: readonly string[];
}

/** The outbox key: one delivery per (incident, escalation step, kind, recipient). */
export function notificationKey(n: Pick<Notification, 'incidentId' | 'escalationStep' | 'kind' | 'recipient'>): string {
  return [n.incidentId, n.escalationStep, n.kind, n.recipient.id].map((p) => encodeURIComponent(String(p))).join('/');
}

export function severityLabel(s: Severity): string {
  return `SEV${s}`;
}
