/**
 * The notification path as stages, after Alertmanager's notify pipeline: a stage takes a
 * context, adds what it decided, and passes it on, or stops it (having recorded why). `pipe`
 * runs stages in order and stops at the first that stops. pipeline.ts builds the whole order
 * in one place; each stage is its own small file with a fake-clock test.
 *
 * Two contexts, because escalation is a scheduler, not a pass-through: the plan half runs per
 * incident (mute → route → escalate) and, over time, produces notifications; the deliver half
 * runs per notification (outbox → retry/fallback → channel).
 */
import type { Incident } from '../incidents/incident.js';
import type { Phase } from '../calendar/phase.js';
import type { Notification, NotifyReason } from '../channels/notification.js';
import type { PageMute } from '../incidents/page-mute.js';
import type { ChannelName } from './routing.js';

export interface Stage<C> {
  readonly name: string;
  /** The context passed on (with what this stage decided), or undefined: stopped here. */
  exec(ctx: C): C | undefined;
}

/** Stages in order; stops at the first that stops. */
export function pipe<C>(name: string, stages: readonly Stage<C>[]): Stage<C> {
  return {
    name,
    exec(ctx) {
      let at: C | undefined = ctx;
      for (const s of stages) if ((at = s.exec(at)) === undefined) return undefined;
      return at;
    },
  };
}

/** The route an incident's pages take, chosen once, at its opening instant. */
export interface RouteChoice {
  readonly name: string;
  readonly phase: Phase | undefined;
  readonly channels: readonly ChannelName[];
  readonly clientUpdates: boolean;
}

/** Plan half: one incident, at the moment it is (re)considered for paging. */
export interface PlanContext {
  readonly incident: Incident;
  readonly at: number;
  /** Set by the mute stage when it stops the incident's pages. */
  readonly mute?: PageMute;
  /** Set by the route stage. */
  readonly route?: RouteChoice;
}

/** Deliver half: one notification, with why it goes out. */
export interface DeliveryContext {
  readonly notification: Notification;
  readonly reason: NotifyReason;
}

export const reasonText: Record<NotifyReason, string> = {
  firstPage: 'first page',
  escalation: 'escalation step',
  repeatElapsed: 'reminder (unacknowledged)',
  resolved: 'resolve notice',
  clientUpdate: 'client update',
  dayNotice: 'day notice',
};
