/**
 * Paging, started: opens the channels, the outbox and the escalators, builds the notification
 * pipeline (pipeline.ts: mute → route → escalate, then outbox → retry/fallback → channel) and
 * feeds it incidents as they open, change and resolve. Client status updates and the BOD/EOD day
 * notices take the same deliver half. Every attempt, fallback, delivery, refusal and suppression
 * lands in the incident's timeline; the counts on /metrics.
 *
 * A new incident is paged only after `settleMs`: a cause arriving just after its symptom merges
 * the symptom's incident into its own, and the pager should hear about the cause once.
 * After a restart, open incidents resume escalation and client updates, and the outbox replays
 * what was unsent; the outbox keys (incident, step, kind, person) keep anything from going out twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../../lib/clock.js';
import type { DiskHealth } from '../../lib/disk-health.js';
import type { Logger } from '../../lib/log.js';
import { MetricsRegistry } from '../../lib/metrics.js';
import type { Calendar, MarketCalendar } from '../calendar/calendar-file.js';
import { marketPhaseAt } from '../calendar/phases.js';
import type { Phase } from '../calendar/phase.js';
import { EmailChannel } from '../channels/email.js';
import { SnppChannel } from '../channels/snpp.js';
import { WebhookChannel } from '../channels/webhook.js';
import type { Channel } from '../channels/channel.js';
import { clientNotes, type Incident } from '../incidents/incident.js';
import { firstPageMute } from '../incidents/page-mute.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { EventLog } from '../state/event-log.js';
import { ClientUpdates, CLIENT_UPDATES_ROUTE } from './client-updates.js';
import { DayNotices, DAY_NOTICES_ROUTE } from './day-notices.js';
import { Dispatcher } from './dispatcher.js';
import type { IncidentSummary } from './escalation.js';
import type { Notification, NotifyReason, Recipient, Severity } from '../channels/notification.js';
import { Outbox } from './outbox.js';
import type { ClientContact, PagingConfig } from './paging-config.js';
import { defaultRetryPolicy, type DeliveryEntry } from './retry.js';
import { startReplyAck, type ReplyAckListener } from './reply-ack.js';
import { replyToken } from './reply-token.js';
import { derivedKey, loadOrCreateSecret } from '../../lib/secret-file.js';
import { RoutedEscalation } from './routed-escalation.js';
import { channelsOf, DEFAULT_ROUTE_NAME, matches, routingFacts, type ChannelName } from './routing.js';
import { deliverPipeline, planPipeline } from './pipeline.js';
import { reasonText } from './stage.js';

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
  /** The state directory's secret (lib/secret-file.ts), read from `stateDir` without it. */
  readonly secret?: Buffer;
  /** Told every delivery attempt and outcome (the brain writes them to the time-series store). */
  readonly onDelivery?: (entry: DeliveryEntry, n: Notification) => void;
  /** Where the paging metrics go (the brain's /metrics); a private registry without it. */
  readonly metrics?: MetricsRegistry;
  /** The outbox's disk health (paging goes on from memory while it fails). */
  readonly outboxHealth?: DiskHealth;
  /**
   * A brain pair (brain/pair/): every outbox record is replicated as it is made, a page waits
   * for the secondary to hold it (`gate`), and each attempt asks `mayAct` (primary, lease live).
   */
  readonly pair?: { readonly onRecord: (line: string) => void; readonly gate: () => Promise<boolean>; readonly mayAct: () => boolean };
}

export function startPaging(o: PagingDeps): { stop(): Promise<void>; outboxLines(): string[] } {
  const { config, clock, incidents } = o;
  // Page mails' Message-IDs carry a token only their recipients see (reply-token.ts).
  const replyKey = derivedKey(o.secret ?? loadOrCreateSecret(o.stateDir), 'reply-ack');
  const channels = openChannels(config, clock, replyKey);
  const chainOf = (names: readonly ChannelName[]) => names.map((n) => channels.get(n)).filter((c): c is Channel => c !== undefined);
  const mailOnly = chainOf(['email']);
  const chains = new Map<string, readonly Channel[]>([
    [DEFAULT_ROUTE_NAME, chainOf(channelsOf(undefined))],
    [CLIENT_UPDATES_ROUTE, mailOnly],
    [DAY_NOTICES_ROUTE, mailOnly],
  ]);
  for (const r of config.routes) chains.set(r.name, chainOf(channelsOf(r)));
  const metrics = pagingMetrics(o.metrics ?? new MetricsRegistry({ defaults: false }));

  const outbox = Outbox.open({
    file: join(o.stateDir, 'outbox.jsonl'),
    clock,
    ...(o.outboxHealth ? { health: o.outboxHealth } : {}),
    ...(o.pair ? { onRecord: o.pair.onRecord } : {}),
  });
  const dispatcher = new Dispatcher({
    outbox,
    clock,
    policy: {
      ...defaultRetryPolicy,
      fallbackAfterMs: config.retry.fallback_after_s * 1000,
      initialBackoffMs: config.retry.initial_backoff_ms,
    },
    // A route renamed or removed since the notification was queued falls back to the default chain.
    route: (n) => chains.get(n.route ?? DEFAULT_ROUTE_NAME) ?? chains.get(DEFAULT_ROUTE_NAME)!,
    onOutcome: (e, n) => {
      metrics.recordOutcome(e);
      incidents.addTimeline(e.incidentId, { kind: 'page', text: describe(e) });
      o.onDelivery?.(e, n);
    },
    onNotDurable: (e) =>
      incidents.addTimeline(e.notification.incidentId, { kind: 'page', text: notDurable(e.notification, outbox.health.fault?.code) }),
    log: o.log,
    ...(o.pair ? { gate: o.pair.gate, mayAct: o.pair.mayAct } : {}),
  });
  o.metrics?.counterFn(
    'floorwatch_outbox_refused_total',
    'Notifications the outbox refused because it was full (each also an error in its incident timeline).',
    () => outbox.dropped,
  );
  o.metrics?.gaugeFn(
    'floorwatch_outbox_pending',
    'Notifications in the outbox not yet delivered or given up.',
    () => outbox.pending().length,
  );
  o.metrics?.counterFn(
    'floorwatch_outbox_forgotten_keys_total',
    'Delivered outbox keys forgotten to keep the dedup memory bounded.',
    () => outbox.forgottenKeys,
  );

  const market = o.calendar?.markets.get(config.market ?? o.calendar.defaultMarket ?? '');
  if (config.market && !market)
    o.log.error({ market: config.market }, 'paging.market is not a market of the calendar: phase conditions never match, no day notices');
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

  const deliver = deliverPipeline({ incidents, metrics }, dispatcher);
  const send = (reason: NotifyReason) => (notification: Notification) => void deliver.exec({ notification, reason });
  const escalation = new RoutedEscalation({
    config,
    clock,
    deliver: (notification, reason) => void deliver.exec({ notification, reason }),
    onNobodyOnCall: (id, step, t) => incidents.addTimeline(id, { kind: 'page', text: `nobody on call for ${t} (step ${step})` }),
  });
  const clientUpdates = config.client_updates
    ? new ClientUpdates({
        everyMs: config.client_updates.every_s * 1000,
        clients: config.client_updates.clients.map(clientRecipient),
        clock,
        deliver: send('clientUpdate'),
        clientNotes: (id) => clientNotes(incidents.get(id)),
      })
    : undefined;
  const clientImpacting = (inc: Incident) =>
    clientUpdates !== undefined && matches(config.client_updates!.impacting, routingFacts(inc), phaseAt(inc.openedAt));
  const plan = planPipeline(
    { config, incidents, phaseAt, clientImpacting, chainNames: (route) => chains.get(route)!.map((c) => c.name), summary, metrics },
    escalation,
    clientUpdates,
  );

  const settling = new Map<string, Timer>();
  const page = (id: string) => {
    settling.delete(id);
    const incident = incidents.get(id);
    if (!incident || incident.status === 'resolved' || incident.mergedInto) return;
    plan.exec({ incident, at: clock.now() });
  };
  const unsubscribe = incidents.subscribe((inc, change) => {
    if (change === 'opened')
      settling.set(
        inc.id,
        clock.setTimeout(() => page(inc.id), config.settle_ms),
      );
    else if (change === 'resolved') {
      settling.get(inc.id)?.cancel();
      settling.delete(inc.id);
      escalation.resolve(inc.id);
      clientUpdates?.resolve(inc.id, summary(inc));
    } else if (inc.mergedInto || inc.status === 'acknowledged' || firstPageMute(inc, clock.now())) {
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
  const dayNotices = startDayNotices(o, market, send('dayNotice'));

  // After a restart: what was unsent goes now, open incidents resume where they were.
  dispatcher.replay();
  for (const inc of incidents.list({ status: 'active' })) page(inc.id);
  const replyAck = config.reply_ack ? listenForReplies(o, replyKey, escalation) : undefined;
  o.log.info(
    {
      channels: [...channels.keys()],
      routes: config.routes.map((r) => r.name),
      clientUpdates: !!clientUpdates,
      dayNotices: !!dayNotices,
      replyAck: !!replyAck,
    },
    'paging started',
  );

  return {
    outboxLines: () => outbox.snapshotLines(),
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

/** Refusals written to one incident's timeline; more are only counted (a forger must not flood it). */
const MAX_REFUSALS_IN_TIMELINE = 20;

/** The paging path's own metrics: suppressions by kind, refusals, deliveries and page latency. */
function pagingMetrics(m: MetricsRegistry) {
  const suppressed = m.counter(
    'floorwatch_notifications_suppressed_total',
    'Incidents whose pages were held back, by the muter that held them (incident_silence, silence, maintenance, phase).',
    ['reason'],
  );
  const refused = m.counter(
    'floorwatch_notifications_refused_total',
    'Notifications not queued, by why (full: the outbox was at its bound).',
    ['reason'],
  );
  const delivered = m.counter('floorwatch_notifications_delivered_total', 'Notifications delivered, by channel.', ['channel']);
  const abandoned = m.counter(
    'floorwatch_notifications_abandoned_total',
    'Notifications given up after every channel of their route failed.',
  );
  const pageLatency = m.histogram(
    'floorwatch_page_latency_seconds',
    'From an incident opening to its first page delivered (settle time, retries and fallback included).',
    [1, 5, 10, 30, 60, 120, 300, 900],
  );
  return {
    suppressed,
    refused,
    recordOutcome(e: DeliveryEntry): void {
      if (e.type === 'delivered') {
        delivered.inc(1, { channel: e.channel });
        if (e.kind === 'page' && e.step === 0) pageLatency.observe(Math.max(0, e.at - e.openedAt) / 1000);
      } else if (e.type === 'abandoned') abandoned.inc();
    },
  };
}

/** Starts the reply listener in the background; a failure to listen is logged, paging goes on without it. */
function listenForReplies(o: PagingDeps, key: Buffer, escalation: RoutedEscalation): Promise<ReplyAckListener | undefined> {
  const { incidents, log } = o;
  const listen = o.config.reply_ack!.listen;
  const colon = listen.lastIndexOf(':');
  return startReplyAck({
    host: listen.slice(0, colon).replace(/^\[|\]$/g, ''),
    port: Number(listen.slice(colon + 1)),
    key,
    personByEmail: (address) => escalation.personByEmail(address),
    ack: (id, by) => incidents.get(id)?.status === 'open' && incidents.ack(id, by, 'by mail reply') !== undefined,
    refused: (id, text) => {
      const inc = incidents.get(id);
      if (inc && inc.timeline.filter((e) => e.kind === 'refused').length < MAX_REFUSALS_IN_TIMELINE)
        incidents.addTimeline(id, { kind: 'refused', text });
    },
    log,
    ...(o.metrics ? { metrics: o.metrics } : {}),
  }).catch((err: unknown) => {
    log.error({ listen, err: String(err) }, 'acknowledgement by reply: cannot listen');
    return undefined;
  });
}

function openChannels(config: PagingConfig, clock: Clock, replyKey: Buffer): Map<ChannelName, Channel> {
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
    const replies = config.reply_ack
      ? { replyTo: config.reply_ack.address, signMessageId: (local: string) => replyToken(replyKey, local) }
      : {};
    channels.set('email', new EmailChannel({ host, port, from, ignoreTLS: ignore_tls, ...replies }));
  }
  if (config.webhook) {
    const w = config.webhook;
    const file = (path: string | undefined) => (path ? { contents: readFileSync(path, 'utf8') } : undefined);
    const [ca, cert, key] = [file(w.tls?.ca_file), file(w.tls?.cert_file), file(w.tls?.key_file)];
    const tls = w.tls
      ? {
          ...(ca ? { ca: ca.contents } : {}),
          ...(cert ? { cert: cert.contents } : {}),
          ...(key ? { key: key.contents } : {}),
          ...(w.tls.servername ? { servername: w.tls.servername } : {}),
        }
      : undefined;
    channels.set(
      'webhook',
      new WebhookChannel({
        url: w.url,
        format: w.format,
        headers: w.headers,
        timeoutMs: w.timeout_ms,
        clock,
        ...(tls ? { tls } : {}),
        ...(w.fallback_after_s !== undefined ? { fallbackAfterMs: w.fallback_after_s * 1000 } : {}),
      }),
    );
  }
  return channels;
}

/** BOD notices from the readiness events, EOD summaries on the market's EOD phase. */
function startDayNotices(
  o: PagingDeps,
  market: MarketCalendar | undefined,
  deliver: (n: Notification) => void,
): { stop(): void } | undefined {
  const cfg = o.config.day_notices;
  if (!cfg || !market) {
    if (cfg)
      o.log.warn({ market: o.config.market ?? null }, 'day_notices configured but the brain has no calendar market: no BOD/EOD mails');
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
        notices.bod({
          market: e.tags['market'] ?? '',
          date: e.attrs['date'] ?? '',
          deadlineMs: Math.floor(e.timeUs / 1000),
          missing,
          message: e.attrs['message'] ?? '',
        });
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

function notDurable(n: Notification, code: string | undefined): string {
  return `outbox not writable (${code ?? 'disk failing'}): ${n.kind} for ${n.recipient.name} delivered directly; a brain restart before the state disk recovers may send it again`;
}

function describe(e: DeliveryEntry): string {
  switch (e.type) {
    case 'attempt':
      return `${e.channel} attempt ${e.attempt}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''} ${e.detail}`.trim();
    case 'fallback':
      return `fell back from ${e.from} to ${e.to}: ${e.why}`;
    case 'delivered':
      return `delivered by ${e.channel} (${e.key})${e.reason ? `: ${reasonText[e.reason]}` : ''}`;
    case 'abandoned':
      return `abandoned: ${e.why}`;
  }
}
