/**
 * One Escalator per route (each with its own schedule and escalation policy) and the memory of
 * which route each escalating incident took, so acks, updates and resolves reach the right one.
 * Pages leave tagged with their route's name; the dispatcher picks the route's channels from it.
 */
import type { Clock } from '../../lib/clock.js';
import { loadSchedule } from '../oncall/schedule-config.js';
import { whoIsOnCall, type Schedule, type Tier } from '../oncall/schedule.js';
import { Escalator, type IncidentSummary, type PageReason } from './escalation.js';
import type { Notification } from '../channels/notification.js';
import type { PagingConfig } from './paging-config.js';
import { DEFAULT_ROUTE_NAME, type EscalationSettings } from './routing.js';

export interface RoutedEscalationOptions {
  readonly config: PagingConfig;
  readonly clock: Clock;
  /** Each notification with its route's name and why it goes out. */
  readonly deliver: (n: Notification, reason: PageReason | 'resolved') => void;
  readonly onNobodyOnCall: (incidentId: string, step: number, tier: Tier) => void;
}

export class RoutedEscalation {
  readonly #escalators = new Map<string, Escalator>();
  readonly #schedules = new Map<string, Schedule>();
  /** Escalating incidents only: an entry leaves on resolve. */
  readonly #routeOf = new Map<string, string>();

  constructor(o: RoutedEscalationOptions) {
    // Every on-call file is loaded (and validated) now, not at the first page.
    for (const file of [o.config.schedule, ...o.config.routes.map((r) => r.schedule)])
      if (file && !this.#schedules.has(file)) this.#schedules.set(file, loadSchedule(file));
    const scheduleAt = (file: string) => this.#schedules.get(file)!;
    const make = (name: string, file: string, e: EscalationSettings, low: boolean) =>
      new Escalator({
        policy: {
          // Low urgency: the first step's tier hears once, by mail; nobody is escalated to or reminded.
          steps: (low ? e.steps.slice(0, 1) : e.steps).map((s) => ({ tier: s.tier, afterMs: s.after_s * 1000 })),
          repeatEveryMs: e.repeat_every_s * 1000,
          maxRepeats: low ? 0 : e.max_repeats,
        },
        clock: o.clock,
        onCall: (tier, at) => whoIsOnCall(scheduleAt(file), tier, at),
        deliver: (n, reason) => o.deliver({ ...n, route: name }, reason),
        onNobodyOnCall: o.onNobodyOnCall,
      });
    this.#escalators.set(DEFAULT_ROUTE_NAME, make(DEFAULT_ROUTE_NAME, o.config.schedule, o.config.escalation, false));
    for (const r of o.config.routes) {
      this.#escalators.set(r.name, make(r.name, r.schedule ?? o.config.schedule, r.escalation ?? o.config.escalation, r.urgency === 'low'));
    }
  }

  /** Starts escalating; with `ackedAt` (after a restart) only remembers who was paged. */
  open(route: string, summary: IncidentSummary, openedAt: number, ackedAt?: number): void {
    const escalator = this.#escalators.get(route) ?? this.#escalators.get(DEFAULT_ROUTE_NAME)!;
    this.#routeOf.set(summary.incidentId, route);
    if (ackedAt === undefined) escalator.open(summary, openedAt);
    else escalator.restoreAcked(summary, openedAt, ackedAt);
  }

  update(summary: IncidentSummary): void {
    this.#of(summary.incidentId)?.update(summary);
  }

  ack(incidentId: string): void {
    this.#of(incidentId)?.ack(incidentId);
  }

  resolve(incidentId: string): void {
    this.#of(incidentId)?.resolve(incidentId);
    this.#routeOf.delete(incidentId);
  }

  close(): void {
    for (const e of this.#escalators.values()) e.close();
  }

  /** The person id of an email address in any on-call file (case-insensitive), for acks by reply. */
  personByEmail(address: string): string | undefined {
    const wanted = address.toLowerCase();
    for (const schedule of this.#schedules.values()) {
      for (const person of schedule.people.values()) if (person.email?.toLowerCase() === wanted) return person.id;
    }
    return undefined;
  }

  #of(incidentId: string): Escalator | undefined {
    const route = this.#routeOf.get(incidentId);
    return route === undefined ? undefined : this.#escalators.get(route);
  }
}
