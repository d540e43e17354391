/**
 * Escalation: page tier 1 at once; unacknowledged after N minutes, page tier 2; then the support
 * manager; then a reminder to everyone paged so far every `repeatEveryMs`, at most `maxRepeats`
 * times. An ack stops it; a resolve sends one resolve notice to everyone who was paged.
 *
 * The plan is a pure function of (policy, openedAt): after a brain restart the Escalator
 * recomputes what was due and emits it again; the outbox drops what was already sent, because
 * each page is keyed by (incident, step, kind, recipient).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { OnCall, Tier } from '../oncall/schedule.js';
import type { Notification, NotifyReason, Recipient } from '../channels/notification.js';

export interface EscalationPolicy {
  /** Ordered; afterMs counts from the incident's opening and increases; the first is usually 0. */
  readonly steps: readonly { readonly tier: Tier; readonly afterMs: number }[];
  readonly repeatEveryMs: number;
  readonly maxRepeats: number;
}

/** Why the plan pages: carried with each notification into the outbox and the incident timeline. */
export type PageReason = Extract<NotifyReason, 'firstPage' | 'escalation' | 'repeatElapsed'>;

export interface PlannedPage {
  readonly step: number;
  readonly dueAt: number;
  readonly reason: PageReason;
  /** The tiers this page goes to: one for a step, all reached so far for a reminder. */
  readonly tiers: readonly Tier[];
}

/** Every page of the plan due at or before `until`, in order. */
export function escalationPlan(policy: EscalationPolicy, openedAt: number, until: number): PlannedPage[] {
  const out: PlannedPage[] = [];
  for (let step = 0; ; step++) {
    const page = plannedPage(policy, openedAt, step);
    if (!page || page.dueAt > until) return out;
    out.push(page);
  }
}

export function plannedPage(policy: EscalationPolicy, openedAt: number, step: number): PlannedPage | undefined {
  const steps = policy.steps;
  const direct = steps[step];
  if (direct) return { step, dueAt: openedAt + direct.afterMs, reason: step === 0 ? 'firstPage' : 'escalation', tiers: [direct.tier] };
  const repeat = step - steps.length + 1;
  const last = steps[steps.length - 1];
  if (!last || repeat > policy.maxRepeats || policy.repeatEveryMs <= 0) return undefined;
  return {
    step,
    dueAt: openedAt + last.afterMs + repeat * policy.repeatEveryMs,
    reason: 'repeatElapsed',
    tiers: [...new Set(steps.map((s) => s.tier))],
  };
}

/** The incident as the pages describe it; the escalator adds recipient, step and kind. */
export type IncidentSummary = Omit<Notification, 'recipient' | 'escalationStep' | 'kind' | 'reason'>;

export interface EscalatorOptions {
  readonly policy: EscalationPolicy;
  readonly clock: Clock;
  /** Usually `(tier, at) => whoIsOnCall(schedule, tier, at)`. */
  readonly onCall: (tier: Tier, at: number) => readonly OnCall[];
  /** One notification per recipient; the dispatcher puts it in the outbox. */
  readonly deliver: (n: Notification, reason: PageReason | 'resolved') => void;
  /** A tier with nobody on call: the timeline must say so, or the silence looks like success. */
  readonly onNobodyOnCall?: (incidentId: string, step: number, tier: Tier) => void;
}

interface Tracked {
  summary: IncidentSummary;
  readonly openedAt: number;
  nextStep: number;
  timer: Timer | undefined;
  readonly paged: Map<string, Recipient>;
  state: 'open' | 'acked' | 'resolved';
}

export class Escalator {
  readonly #opts: EscalatorOptions;
  readonly #incidents = new Map<string, Tracked>();

  constructor(opts: EscalatorOptions) {
    this.#opts = opts;
  }

  /** Starts (or, after a restart, resumes) escalation; openedAt may be in the past. */
  open(summary: IncidentSummary, openedAt = summary.when): void {
    if (this.#incidents.has(summary.incidentId)) return;
    const tracked: Tracked = { summary, openedAt, nextStep: 0, timer: undefined, paged: new Map(), state: 'open' };
    this.#incidents.set(summary.incidentId, tracked);
    this.#catchUp(tracked);
  }

  /**
   * After a restart, an incident acknowledged before it: pages nobody, but remembers who the plan
   * paged before the ack, so the resolve notice still reaches them.
   */
  restoreAcked(summary: IncidentSummary, openedAt: number, ackedAt: number): void {
    if (this.#incidents.has(summary.incidentId)) return;
    const tracked: Tracked = { summary, openedAt, nextStep: 0, timer: undefined, paged: new Map(), state: 'acked' };
    for (const page of escalationPlan(this.#opts.policy, openedAt, ackedAt)) {
      for (const tier of page.tiers) for (const { person } of this.#opts.onCall(tier, page.dueAt)) tracked.paged.set(person.id, person);
    }
    this.#incidents.set(summary.incidentId, tracked);
  }

  /** New timeline entries, severity...: later pages carry them. */
  update(summary: IncidentSummary): void {
    const t = this.#incidents.get(summary.incidentId);
    if (t) t.summary = summary;
  }

  /** Stops escalation and reminders; the resolve notice still goes out later. */
  ack(incidentId: string): void {
    const t = this.#incidents.get(incidentId);
    if (!t || t.state !== 'open') return;
    t.state = 'acked';
    t.timer?.cancel();
  }

  /** Sends the resolve notice once, to everyone paged, and forgets the incident. */
  resolve(incidentId: string): void {
    const t = this.#incidents.get(incidentId);
    if (!t || t.state === 'resolved') return;
    t.state = 'resolved';
    t.timer?.cancel();
    this.#incidents.delete(incidentId);
    for (const recipient of t.paged.values()) {
      this.#opts.deliver({ ...t.summary, recipient, escalationStep: 0, kind: 'resolve' }, 'resolved');
    }
  }

  /** Incidents still escalating (for /metrics and tests). */
  get escalating(): number {
    let n = 0;
    for (const t of this.#incidents.values()) if (t.state === 'open') n++;
    return n;
  }

  close(): void {
    for (const t of this.#incidents.values()) t.timer?.cancel();
    this.#incidents.clear();
  }

  #catchUp(t: Tracked): void {
    if (t.state !== 'open') return;
    const now = this.#opts.clock.now();
    const due = escalationPlan(this.#opts.policy, t.openedAt, now).filter((p) => p.step >= t.nextStep);
    // After downtime, missed reminders collapse into the latest one; real steps all go out.
    const lastRepeat = due.filter((p) => p.reason === 'repeatElapsed').at(-1);
    for (const page of due) if (page.reason !== 'repeatElapsed' || page === lastRepeat) this.#page(t, page);
    if (due.length > 0) t.nextStep = due[due.length - 1]!.step + 1;
    const next = plannedPage(this.#opts.policy, t.openedAt, t.nextStep);
    if (next) t.timer = this.#opts.clock.setTimeout(() => this.#catchUp(t), Math.max(0, next.dueAt - now));
  }

  #page(t: Tracked, page: PlannedPage): void {
    for (const tier of page.tiers) {
      const people = this.#opts.onCall(tier, page.dueAt);
      if (people.length === 0) this.#opts.onNobodyOnCall?.(t.summary.incidentId, page.step, tier);
      for (const { person } of people) {
        t.paged.set(person.id, person);
        this.#opts.deliver({ ...t.summary, recipient: person, escalationStep: page.step, kind: 'page' }, page.reason);
      }
    }
  }
}
