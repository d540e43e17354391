/**
 * Status updates to clients while a client-impacting incident is open: round 0 when paging
 * starts, then one round every `everyMs`, each to every client, until the incident resolves;
 * then one resolved notice. An acknowledgement does not stop them (the client still cannot trade).
 *
 * Rounds are a pure function of the opening instant, and the round number is the outbox key's
 * step, so after a restart the round due now goes out once and missed rounds collapse into it.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { IncidentSummary } from './escalation.js';
import type { Notification, Recipient, TimelineEntry } from '../channels/notification.js';

/** The route name client notices carry, so the dispatcher sends them by email. */
export const CLIENT_UPDATES_ROUTE = 'client-updates';

export interface ClientUpdatesOptions {
  readonly everyMs: number;
  readonly clients: readonly Recipient[];
  readonly clock: Clock;
  readonly deliver: (n: Notification) => void;
  /** The incident's notes written for the clients, oldest first: the only timeline a client sees. */
  readonly clientNotes: (incidentId: string) => readonly TimelineEntry[];
}

interface Tracked {
  summary: IncidentSummary;
  readonly openedAt: number;
  lastRound: number;
  timer: Timer | undefined;
}

/** The latest round due at `now` (0 at the opening). */
function roundAt(openedAt: number, everyMs: number, now: number): number {
  return Math.max(0, Math.floor((now - openedAt) / everyMs));
}

export class ClientUpdates {
  readonly #opts: ClientUpdatesOptions;
  readonly #open = new Map<string, Tracked>();

  constructor(opts: ClientUpdatesOptions) {
    this.#opts = opts;
  }

  /** Starts (or after a restart resumes) updates; the current round goes out now. */
  open(summary: IncidentSummary, openedAt = summary.when): void {
    if (this.#open.has(summary.incidentId)) return;
    const t: Tracked = { summary, openedAt, lastRound: -1, timer: undefined };
    this.#open.set(summary.incidentId, t);
    this.#tick(t);
  }

  /** Later rounds carry the newer timeline and severity. */
  update(summary: IncidentSummary): void {
    const t = this.#open.get(summary.incidentId);
    if (t) t.summary = summary;
  }

  /** Stops the rounds and sends the resolved notice to every client, once. */
  resolve(incidentId: string, summary?: IncidentSummary): void {
    const t = this.#open.get(incidentId);
    if (!t) return;
    t.timer?.cancel();
    this.#open.delete(incidentId);
    this.#send(summary ?? t.summary, 0, 'resolve');
  }

  close(): void {
    for (const t of this.#open.values()) t.timer?.cancel();
    this.#open.clear();
  }

  #tick(t: Tracked): void {
    const { everyMs, clock } = this.#opts;
    const now = clock.now();
    const round = roundAt(t.openedAt, everyMs, now);
    if (round > t.lastRound) {
      t.lastRound = round;
      this.#send(t.summary, round, 'status');
    }
    const nextDue = t.openedAt + (round + 1) * everyMs;
    t.timer = clock.setTimeout(() => this.#tick(t), Math.max(0, nextDue - now));
  }

  #send(summary: IncidentSummary, round: number, kind: 'status' | 'resolve'): void {
    const forClients = clientView(summary, this.#opts.clientNotes(summary.incidentId));
    for (const recipient of this.#opts.clients) {
      this.#opts.deliver({ ...forClients, recipient, escalationStep: round, kind, route: CLIENT_UPDATES_ROUTE });
    }
  }
}

/**
 * What a client may read of an incident: the facts and the notes marked for them. Never the
 * internal timeline (acks, internal notes, pages, refusals), the details, or links to the wall
 * board, which is the floor's, not theirs (review S6).
 */
export function clientView(summary: IncidentSummary, notes: readonly TimelineEntry[]): IncidentSummary {
  const { details: _details, ...facts } = summary;
  return { ...facts, timeline: notes.map((e) => ({ at: e.at, text: e.text })), links: [] };
}
