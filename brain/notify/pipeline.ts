/**
 * The whole notification path, in order, built in one place (after Alertmanager's
 * PipelineBuilder). Reading this file is reading what happens between "an incident opened"
 * and "a pager beeped":
 *
 *   plan (per incident, once it has settled):
 *     mute      one muter chain: incident silence, then the calendar muters on every root alert;
 *               a muted incident stops here (timeline "pages suppressed: …", counter by kind)
 *     route     the first matching route at the opening instant; recorded once on the incident
 *     escalate  the route's escalator: who, when, which tier; it produces notifications over time
 *
 *   deliver (per notification, with its reason: first page, escalation, reminder, resolve,
 *            client update, day notice):
 *     outbox    durable and deduplicated by key before any channel sees it; a refusal (full) is an
 *               FW_ERR_PAGING_OUTBOX_FULL error in the timeline and a counted drop
 *     retry     retry with backoff, fallback along the route's channels (retry.ts), each attempt,
 *               fallback and the delivery (with its reason) in the timeline
 *     channel   SNPP pager, email, webhook (channels/): never throw, say whether a retry may help
 */
import { errorCatalogue } from '../../lib/errors.js';
import type { Counter } from '../../lib/metrics.js';
import { pushTimeline, type Incident } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { Dispatcher } from './dispatcher.js';
import { escalateStage } from './escalate-stage.js';
import type { IncidentSummary } from './escalation.js';
import type { ClientUpdates } from './client-updates.js';
import { muteStage } from './mute-stage.js';
import { outboxStage } from './outbox-stage.js';
import type { PagingConfig } from './paging-config.js';
import type { RoutedEscalation } from './routed-escalation.js';
import { routedText, routeStage } from './route-stage.js';
import type { Phase } from '../calendar/phase.js';
import { pipe, reasonText, type DeliveryContext, type PlanContext, type Stage } from './stage.js';

export interface PipelineParts {
  readonly config: PagingConfig;
  readonly incidents: IncidentStore;
  readonly phaseAt: (at: number) => Phase | undefined;
  readonly clientImpacting: (inc: Incident) => boolean;
  /** Channel names of a route's chain, for the "routed:" line. */
  readonly chainNames: (route: string) => readonly string[];
  readonly summary: (inc: Incident) => IncidentSummary;
  readonly metrics: { readonly suppressed: Counter; readonly refused: Counter };
}

export function deliverPipeline(
  p: Pick<PipelineParts, 'incidents' | 'metrics'>,
  dispatcher: Pick<Dispatcher, 'dispatch'>,
): Stage<DeliveryContext> {
  return pipe('deliver', [
    outboxStage({
      dispatcher,
      onRefused: ({ notification: n, reason }) => {
        p.metrics.refused.inc(1, { reason: 'full' });
        const what = `${reasonText[reason]} for ${n.recipient.name} (${n.kind}, step ${n.escalationStep})`;
        p.incidents.addTimeline(n.incidentId, {
          kind: 'error',
          code: 'FW_ERR_PAGING_OUTBOX_FULL',
          text: `${errorCatalogue.FW_ERR_PAGING_OUTBOX_FULL.text}: ${what} not queued`,
        });
      },
    }),
    // retry → fallback → channel run from the outbox (Dispatcher, retry.ts), asynchronously.
  ]);
}

export function planPipeline(p: PipelineParts, escalation: RoutedEscalation, clientUpdates: ClientUpdates | undefined): Stage<PlanContext> {
  return pipe('plan', [
    muteStage((ctx, mute) => {
      p.metrics.suppressed.inc(1, { reason: mute.kind });
      p.incidents.addTimeline(ctx.incident.id, { kind: 'suppressed', text: `pages suppressed: ${mute.text}` });
    }),
    routeStage({
      config: p.config,
      phaseAt: p.phaseAt,
      clientImpacting: p.clientImpacting,
      onRouted: (ctx, route) =>
        p.incidents.change(ctx.incident.id, (inc) => {
          inc.route = route.name;
          pushTimeline(inc, { at: ctx.at, kind: 'page', text: routedText(route, p.chainNames(route.name)) });
        }),
    }),
    escalateStage({ escalation, clientUpdates, summary: (ctx) => p.summary(ctx.incident) }),
  ]);
}
