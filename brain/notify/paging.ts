/**
 * Paging, composed: incidents → escalation (who, when, which tier) → outbox → retry with
 * fallback over the channels (pager first, then email). Every attempt, fallback, delivery and
 * suppression lands in the incident's timeline.
 *
 * A new incident is paged only after `settleMs`: a cause arriving just after its symptom merges
 * the symptom's incident into its own, and the pager should hear about the cause once.
 * After a restart, open incidents resume escalation and the outbox replays what was unsent;
 * the outbox keys (incident, step, kind, person) keep anything from going out twice.
 */
import { join } from 'node:path';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { EmailChannel } from '../channels/email.js';
import { SnppChannel } from '../channels/snpp.js';
import type { Channel } from '../channels/channel.js';
import type { Incident } from '../incidents/incident.js';
import { pagesSuppressed } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import { loadSchedule } from '../oncall/schedule-config.js';
import { whoIsOnCall, type Tier } from '../oncall/schedule.js';
import { Dispatcher } from './dispatcher.js';
import { Escalator, type IncidentSummary } from './escalation.js';
import type { Severity } from './notification.js';
import { Outbox } from './outbox.js';
import { defaultRetryPolicy, type DeliveryEntry } from './retry.js';

export interface PagingConfig {
  schedule: string;
  settle_ms: number;
  console_url?: string;
  escalation: { steps: { tier: Tier; after_s: number }[]; repeat_every_s: number; max_repeats: number };
  retry: { fallback_after_s: number; initial_backoff_ms: number };
  snpp?: { host: string; port: number; login?: string; hylafax_queue: boolean; max_length: number };
  email?: { host: string; port: number; from: string; ignore_tls: boolean };
}

const tier = { enum: ['first-line', 'back-line', 'support-manager'] };
export const pagingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['schedule'],
  properties: {
    schedule: { type: 'string', minLength: 1 },
    settle_ms: { type: 'integer', minimum: 0, maximum: 60_000, default: 250 },
    console_url: { type: 'string' },
    escalation: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        steps: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', additionalProperties: false, required: ['tier', 'after_s'], properties: { tier, after_s: { type: 'integer', minimum: 0 } } },
          default: [{ tier: 'first-line', after_s: 0 }, { tier: 'back-line', after_s: 600 }, { tier: 'support-manager', after_s: 1200 }],
        },
        repeat_every_s: { type: 'integer', minimum: 10, default: 300 },
        max_repeats: { type: 'integer', minimum: 0, default: 3 },
      },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { fallback_after_s: { type: 'integer', minimum: 1, default: 60 }, initial_backoff_ms: { type: 'integer', minimum: 10, default: 2000 } },
    },
    snpp: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        login: { type: 'string' },
        hylafax_queue: { type: 'boolean', default: true },
        max_length: { type: 'integer', minimum: 20, maximum: 1000, default: 128 },
      },
    },
    email: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port', 'from'],
      properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 }, from: { type: 'string' }, ignore_tls: { type: 'boolean', default: false } },
    },
  },
};

const SEVERITY: Record<Incident['severity'], Severity> = { critical: 1, major: 2, minor: 3, warning: 4, info: 4 };

export function startPaging(o: { config: PagingConfig; clock: Clock; log: Logger; incidents: IncidentStore; stateDir: string }): { stop(): Promise<void> } {
  const { config, clock, incidents } = o;
  const schedule = loadSchedule(config.schedule);
  const pager = config.snpp
    ? new SnppChannel({
        host: config.snpp.host,
        port: config.snpp.port,
        ...(config.snpp.login ? { login: { user: config.snpp.login } } : {}),
        hylafaxQueue: config.snpp.hylafax_queue,
        text: { maxLength: config.snpp.max_length },
        clock,
      })
    : undefined;
  const email = config.email ? new EmailChannel({ host: config.email.host, port: config.email.port, from: config.email.from, ignoreTLS: config.email.ignore_tls }) : undefined;
  const pageChain = [pager, email].filter((c): c is NonNullable<typeof c> => c !== undefined) as Channel[];
  const mailChain = [email].filter((c): c is EmailChannel => c !== undefined) as Channel[];

  const outbox = Outbox.open({ file: join(o.stateDir, 'outbox.jsonl'), clock });
  const dispatcher = new Dispatcher({
    outbox,
    clock,
    policy: { ...defaultRetryPolicy, fallbackAfterMs: config.retry.fallback_after_s * 1000, initialBackoffMs: config.retry.initial_backoff_ms },
    route: (n) => (n.kind === 'page' || n.kind === 'resolve' ? pageChain : mailChain),
    onOutcome: (e) => incidents.addTimeline(e.incidentId, { kind: 'page', text: describe(e) }),
    log: o.log,
  });
  const escalator = new Escalator({
    policy: {
      steps: config.escalation.steps.map((s) => ({ tier: s.tier, afterMs: s.after_s * 1000 })),
      repeatEveryMs: config.escalation.repeat_every_s * 1000,
      maxRepeats: config.escalation.max_repeats,
    },
    clock,
    onCall: (t, at) => whoIsOnCall(schedule, t, at),
    deliver: (n) => void dispatcher.dispatch(n),
    onNobodyOnCall: (id, step, t) => incidents.addTimeline(id, { kind: 'page', text: `nobody on call for ${t} (step ${step})` }),
  });

  const summary = (inc: Incident): IncidentSummary => ({
    incidentId: inc.id,
    severity: SEVERITY[inc.severity],
    what: inc.title,
    where: inc.impact.colour ? `colour ${inc.impact.colour}` : inc.impact.hosts.slice(0, 3).join(',') || '-',
    when: inc.openedAt,
    phase: 'intraday',
    links: config.console_url ? [{ label: 'console', url: `${config.console_url}/incidents/${inc.id}` }] : [],
    timeline: inc.timeline.slice(-10).map((e) => ({ at: e.at, text: e.text })),
    rootCause: inc.title,
  });

  const settling = new Map<string, Timer>();
  const page = (id: string) => {
    settling.delete(id);
    const inc = incidents.get(id);
    if (!inc || inc.status !== 'open' || inc.mergedInto) return;
    const muted = pagesSuppressed(inc, clock.now());
    if (muted) return void incidents.addTimeline(id, { kind: 'suppressed', text: `pages suppressed: ${muted}` });
    escalator.open(summary(inc), inc.openedAt);
  };
  const unsubscribe = incidents.subscribe((inc, change) => {
    if (change === 'opened') settling.set(inc.id, clock.setTimeout(() => page(inc.id), config.settle_ms));
    else if (change === 'resolved') {
      settling.get(inc.id)?.cancel();
      settling.delete(inc.id);
      escalator.resolve(inc.id);
    } else if (inc.mergedInto || inc.status === 'acknowledged' || pagesSuppressed(inc, clock.now())) escalator.ack(inc.id);
    else escalator.update(summary(inc));
  });

  // After a restart: what was unsent goes now, open incidents resume where they were.
  dispatcher.replay();
  for (const inc of incidents.list({ status: 'open' })) page(inc.id);
  o.log.info({ pager: pager?.name ?? null, email: email?.name ?? null }, 'paging started');

  return {
    async stop() {
      unsubscribe();
      for (const t of settling.values()) t.cancel();
      await dispatcher.close();
    },
  };
}

function describe(e: DeliveryEntry): string {
  switch (e.type) {
    case 'attempt':
      return `${e.channel} attempt ${e.attempt}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''} ${e.detail}`.trim();
    case 'fallback':
      return `fell back from ${e.from} to ${e.to}: ${e.why}`;
    case 'delivered':
      return `delivered by ${e.channel} (${e.key})`;
    case 'abandoned':
      return `abandoned: ${e.why}`;
  }
}
