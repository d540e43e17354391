/**
 * Routing as a stage: the first matching route (routing.ts), evaluated at the incident's opening
 * instant and phase, so a restart picks the same route. The choice is recorded once per incident
 * (the incident's `route` field, and a "routed:" timeline entry for people).
 */
import type { Phase } from '../calendar/phase.js';
import type { Incident } from '../incidents/incident.js';
import type { PagingConfig } from './paging-config.js';
import { channelsOf, DEFAULT_ROUTE_NAME, routeFor, routingFacts } from './routing.js';
import type { PlanContext, RouteChoice, Stage } from './stage.js';

export interface RouteStageOptions {
  readonly config: Pick<PagingConfig, 'routes'>;
  readonly phaseAt: (at: number) => Phase | undefined;
  /** Whether client updates follow this incident (paging config `client_updates.impacting`). */
  readonly clientImpacting: (inc: Incident) => boolean;
  /** Records the choice; called only for an incident that has none yet. */
  readonly onRouted: (ctx: PlanContext, route: RouteChoice) => void;
}

export function routeStage(o: RouteStageOptions): Stage<PlanContext> {
  return {
    name: 'route',
    exec(ctx) {
      const inc = ctx.incident;
      const phase = o.phaseAt(inc.openedAt);
      const route = routeFor(o.config.routes, routingFacts(inc), phase);
      const choice: RouteChoice = {
        name: route?.name ?? DEFAULT_ROUTE_NAME,
        phase,
        channels: channelsOf(route),
        clientUpdates: o.clientImpacting(inc),
      };
      if (inc.route === undefined) o.onRouted(ctx, choice);
      return { ...ctx, route: choice };
    },
  };
}

/** "routed: default (phase intraday; snpp → email); client updates". */
export function routedText(r: RouteChoice, channelNames: readonly string[]): string {
  return `routed: ${r.name} (phase ${r.phase ?? 'unknown'}; ${channelNames.join(' → ')})${r.clientUpdates ? '; client updates' : ''}`;
}
