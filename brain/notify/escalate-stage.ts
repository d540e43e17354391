/**
 * Escalation as the plan half's last stage: hands the routed incident to its route's escalator
 * (escalation.ts: who, when, which tier; it produces the notifications over time) and, when the
 * route says so, to client updates. An incident acknowledged before a restart only has its
 * paged people remembered, so the resolve notice still reaches them.
 */
import type { IncidentSummary } from './escalation.js';
import type { ClientUpdates } from './client-updates.js';
import type { RoutedEscalation } from './routed-escalation.js';
import type { PlanContext, Stage } from './stage.js';

export function escalateStage(o: {
  readonly escalation: RoutedEscalation;
  readonly clientUpdates: ClientUpdates | undefined;
  readonly summary: (ctx: PlanContext) => IncidentSummary;
}): Stage<PlanContext> {
  return {
    name: 'escalate',
    exec(ctx) {
      const inc = ctx.incident;
      const route = ctx.route;
      if (!route) throw new Error('escalate stage needs a routed context (route stage first)');
      const ackedAt = inc.status === 'acknowledged' ? (inc.ackedAt ?? inc.openedAt) : undefined;
      o.escalation.open(route.name, o.summary(ctx), inc.openedAt, ackedAt);
      if (route.clientUpdates) o.clientUpdates?.open(o.summary(ctx), inc.openedAt);
      return ctx;
    },
  };
}
