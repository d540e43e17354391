/**
 * Paging, composed: incidents → routing (which schedule, escalation and channels) → escalation
 * (who, when, which tier) → outbox → retry with fallback over the route's channels. Client
 * status updates and the BOD/EOD day notices take the same outbox. Every attempt, fallback,
 * delivery and suppression lands in the incident's timeline.
 *
 * A new incident is paged only after `settleMs`: a cause arriving just after its symptom merges
 * the symptom's incident into its own, and the pager should hear about the cause once.
 * After a restart, open incidents resume escalation and client updates, and the outbox replays
 * what was unsent; the outbox keys (incident, step, kind, person) keep anything from going out twice.
 */
import { join } from 'node:path';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Calendar, MarketCalendar } from '../calendar/calendar-file.js';
import { marketPhaseAt } from '../calendar/phases.js';
import type { Phase } from '../calendar/phase.js';
import { EmailChannel } from '../channels/email.js';
import { SnppChannel } from '../channels/snpp.js';
import type { Channel } from '../channels/channel.js';
import type { Incident } from '../incidents/incident.js';
import { pagesSuppressed } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { EventLog } from '../state/event-log.js';
import { ClientUpdates, CLIENT_UPDATES_ROUTE } from './client-updates.js';
import { DayNotices, DAY_NOTICES_ROUTE } from './day-notices.js';
import { Dispatcher } from './dispatcher.js';
import type { IncidentSummary } from './escalation.js';
import type { Notification, Recipient, Severity } from './notification.js';
import { Outbox } from './outbox.js';
import type { ClientContact, PagingConfig } from './paging-config.js';
import { defaultRetryPolicy, type DeliveryEntry } from './retry.js';
import { startReplyAck, type ReplyAckListener } from './reply-ack.js';
import { RoutedEscalation } from './routed-escalation.js';
import { channelsOf, DEFAULT_ROUTE_NAME, matches, routeFor, routingFacts, type ChannelName } from './routing.js';

export type { PagingConfig } from './paging-config.js';

const SEVERITY: Record<Incident['severity'], Severity> = { critical: 1, major: 2, minor: 3, warning: 4, info: 4 };

export interface PagingDeps {
  readonly config: PagingConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly incidents: IncidentStore;
  readonly stateDir: string;
  /** BOD readiness results arrive here as `bod.ready` / `bod.not_ready` events. */
  readonly events?: EventLog;
  /** For trading-phase routing and the EOD summary; without it, phase conditions never match. */
  readonly calendar?: Calendar;
}

export function startPaging(o: PagingDeps): { stop(): Promise<void> } {
  const { config, clock, incidents } = o;
  const channels = openChannels(config, clock);
  const chainOf = (names: readonly ChannelName[]) => names.map((n) => channels.get(n)).filter((c): c is Channel => c !== undefined);
  const mailOnly = chainOf(['email']);
  const chains = new Map<string, readonly Channel[]>([[DEFAULT_ROUTE_NAME, chainOf(channelsOf(undefined))], [CLIENT_UPDATES_ROUTE, mailOnly], [DAY_NOTICES_ROUTE, mailOnly]]);
  for (const r of config.routes) chains.set(r.name, chainOf(channelsOf(r)));

  const outbox = Outbox.open({ file: join(o.stateDir, 'outbox.jsonl'), clock });
  const dispatcher = new Dispatcher({
    outbox,
    clock,
    policy: { ...defaultRetryPolicy, fallbackAfterMs: config.retry.fallback_after_s * 1000, initialBackoffMs: config.retry.initial_backoff_ms },
    // A route renamed or removed since the notification was queued falls back to the default chain.
    route: (n) => chains.get(n.route ?? DEFAULT_ROUTE_NAME) ?? chains.get(DEFAULT_ROUTE_NAME)!,
    onOutcome: (e) => incidents.addTimeline(e.incidentId, { kind: 'page', text: describe(e) }),
    log: o.log,
  });
  const deliver = (n: Notification) => void dispatcher.dispatch(n);
  const escalation = new RoutedEscalation({
    config,
    clock,
    deliver,
    onNobodyOnCall: (id, step, t) => incidents.addTimeline(id, { kind: 'page', text: `nobody on call for ${t} (step ${step})` }),
  });
  const clientUpdates = config.client_updates
    ? new ClientUpdates({ everyMs: config.client_updates.every_s * 1000, clients: config.client_updates.clients.map(clientRecipient), clock, deliver })
    : undefined;
  const market = o.calendar?.markets.get(config.market ?? o.calendar.defaultMarket ?? '');
  if (config.market && !market) o.log.error({ market: config.market }, 'paging.market is not a market of the calendar: phase conditions never match, no day notices');
  const phaseAt = (at: number): Phase | undefined => (market ? marketPhaseAt(market, at) : undefined);

  const summary = (inc: Incident): IncidentSummary => ({
    incidentId: inc.id,
    severity: SEVERITY[inc.severity],
    what: inc.title,
    where: inc.impact.colour ? `colour ${inc.impact.colour}` : inc.impact.hosts.slice(0, 3).join(',') || '-',
    when: inc.openedAt,
    phase: phaseAt(clock.now()) ?? 'intraday',
    links: config.console_url ? [{ label: 'console', url: `${config.console_url}/incidents/${inc.id}` }] : [],
    timeline: inc.timeline.slice(-10).map((e) => ({ at: e.at, text: e.text })),
    rootCause: inc.title,
  });

  const clientImpacting = (inc: Incident) => clientUpdates !== undefined && matches(config.client_updates!.impacting, routingFacts(inc), phaseAt(inc.openedAt));
  const settling = new Map<string, Timer>();
  const page = (id: string) => {
    settling.delete(id);
    const inc = incidents.get(id);
    if (!inc || inc.status === 'resolved' || inc.mergedInto) return;
    const muted = pagesSuppressed(inc, clock.now());
    if (muted) return void incidents.addTimeline(id, { kind: 'suppressed', text: `pages suppressed: ${muted}` });
    // Routed at the opening instant: the same incident takes the same route after a restart.
    const facts = routingFacts(inc);
    const openedPhase = phaseAt(inc.openedAt);
    const route = routeFor(config.routes, facts, openedPhase);
    const impactsClients = clientImpacting(inc);
    // Once per incident, not again after a restart: the route does not change.
    if (!inc.timeline.some((e) => e.text.startsWith('routed: '))) {
      const name = route?.name ?? DEFAULT_ROUTE_NAME;
      const text = `routed: ${name} (phase ${openedPhase ?? 'unknown'}; ${chains.get(name)!.map((c) => c.name).join(' → ')})${impactsClients ? '; client updates' : ''}`;
      incidents.addTimeline(id, { kind: 'page', text });
    }
    escalation.open(route?.name ?? DEFAULT_ROUTE_NAME, summary(inc), inc.openedAt, inc.status === 'acknowledged' ? (inc.ackedAt ?? inc.openedAt) : undefined);
    if (impactsClients) clientUpdates!.open(summary(inc), inc.openedAt);
  };
  const unsubscribe = incidents.subscribe((inc, change) => {
    if (change === 'opened') settling.set(inc.id, clock.setTimeout(() => page(inc.id), config.settle_ms));
    else if (change === 'resolved') {
      settling.get(inc.id)?.cancel();
      settling.delete(inc.id);
      escalation.resolve(inc.id);
      clientUpdates?.resolve(inc.id, summary(inc));
    } else if (inc.mergedInto || inc.status === 'acknowledged' || pagesSuppressed(inc, clock.now())) {
      escalation.ack(inc.id);
      if (inc.mergedInto) clientUpdates?.resolve(inc.id, { ...summary(inc), what: `${inc.title} (now part of ${inc.mergedInto})` });
      else clientUpdates?.update(summary(inc));
    } else {
      escalation.update(summary(inc));
      // An incident can become client-impacting after it was paged (severity raised): updates start then.
      if (inc.status === 'open' && !settling.has(inc.id) && clientImpacting(inc)) clientUpdates!.open(summary(inc), inc.openedAt);
      clientUpdates?.update(summary(inc));
    }
  });
  const dayNotices = startDayNotices(o, market, deliver);

  // After a restart: what was unsent goes now, open incidents resume where they were.
  dispatcher.replay();
  for (const inc of incidents.list({ status: 'active' })) page(inc.id);
  const replyAck = config.reply_ack ? listenForReplies(config.reply_ack.listen, escalation, incidents, o.log) : undefined;
  o.log.info({ channels: [...channels.keys()], routes: config.routes.map((r) => r.name), clientUpdates: !!clientUpdates, dayNotices: !!dayNotices, replyAck: !!replyAck }, 'paging started');

  return {
    async stop() {
      unsubscribe();
      dayNotices?.stop();
      await replyAck?.then((l) => l?.stop());
      for (const t of settling.values()) t.cancel();
      escalation.close();
      clientUpdates?.close();
      await dispatcher.close();
      outbox.close();
      await Promise.all([...channels.values()].map((c) => c.close?.()));
    },
  };
}

/** Starts the reply listener in the background; a failure to listen is logged, paging goes on without it. */
function listenForReplies(listen: string, escalation: RoutedEscalation, incidents: IncidentStore, log: Logger): Promise<ReplyAckListener | undefined> {
  const colon = listen.lastIndexOf(':');
  return startReplyAck({
    host: listen.slice(0, colon),
    port: Number(listen.slice(colon + 1)),
    personByEmail: (address) => escalation.personByEmail(address),
    ack: (id, by) => incidents.get(id)?.status === 'open' && incidents.ack(id, by, 'by mail reply') !== undefined,
    log,
  }).catch((err: unknown) => {
    log.error({ listen, err: String(err) }, 'acknowledgement by reply: cannot listen');
    return undefined;
  });
}

function openChannels(config: PagingConfig, clock: Clock): Map<ChannelName, Channel> {
  const channels = new Map<ChannelName, Channel>();
  if (config.snpp) {
    channels.set(
      'snpp',
      new SnppChannel({
        host: config.snpp.host,
        port: config.snpp.port,
        ...(config.snpp.login ? { login: { user: config.snpp.login } } : {}),
        hylafaxQueue: config.snpp.hylafax_queue,
        text: { maxLength: config.snpp.max_length },
        clock,
      }),
    );
  }
  if (config.email) {
    const { host, port, from, ignore_tls } = config.email;
    channels.set('email', new EmailChannel({ host, port, from, ignoreTLS: ignore_tls, ...(config.reply_ack ? { replyTo: config.reply_ack.address } : {}) }));
  }
  return channels;
}

/** BOD notices from the readiness events, EOD summaries on the market's EOD phase. */
function startDayNotices(o: PagingDeps, market: MarketCalendar | undefined, deliver: (n: Notification) => void): { stop(): void } | undefined {
  const cfg = o.config.day_notices;
  if (!cfg || !market) {
    if (cfg) o.log.warn({ market: o.config.market ?? null }, 'day_notices configured but the brain has no calendar market: no BOD/EOD mails');
    return undefined;
  }
  const notices = new DayNotices({
    clock: o.clock,
    market,
    to: cfg.to.map(clientRecipient),
    incidents: () => o.incidents.list({ includeMerged: true }),
    deliver,
    ...(o.config.console_url ? { consoleUrl: o.config.console_url } : {}),
  });
  const unsubscribe = cfg.bod
    ? o.events?.subscribe((e) => {
        if (e.kind !== 'bod.ready' && e.kind !== 'bod.not_ready') return;
        const missing = e.attrs['missing'] ? e.attrs['missing'].split(',') : [];
        notices.bod({ market: e.tags['market'] ?? '', date: e.attrs['date'] ?? '', deadlineMs: Math.floor(e.timeUs / 1000), missing, message: e.attrs['message'] ?? '' });
      })
    : undefined;
  if (cfg.eod) notices.startEod();
  return {
    stop() {
      unsubscribe?.();
      notices.stop();
    },
  };
}

/** Client and day-notice addressees get a `client.` id, so their outbox keys never meet an on-call person's. */
function clientRecipient(c: ClientContact): Recipient {
  return { id: `client.${c.id}`, name: c.name, email: c.email };
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
