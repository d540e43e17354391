/**
 * The brain's notify part: paging (mute → route → escalate → outbox → retry/fallback → channel,
 * brain/notify/paging.ts), client updates, day notices and reply-acks. Started after the
 * alerting part: it takes the rules' calendar (phase routing, EOD) and pages incidents already open.
 */
import type { Clock } from '../../lib/clock.js';
import type { StateDisk } from '../../lib/disk-health.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { BrainConfig } from '../config.js';
import { startPaging, type PagingDeps } from '../notify/paging.js';
import type { EventLog } from '../state/event-log.js';
import type { AlertingPart } from './alerting.js';

export interface NotifyPart {
  stop(): Promise<void>;
  /** The outbox as records (a brain pair's secondary starts from them). */
  outboxLines(): string[];
}

export function startNotify(
  config: BrainConfig,
  d: {
    clock: Clock;
    log: Logger;
    events: EventLog;
    metrics: MetricsRegistry;
    alerting: AlertingPart;
    disk: StateDisk;
    secret: Buffer;
    onDelivery?: PagingDeps['onDelivery'];
    pair?: PagingDeps['pair'];
  },
): NotifyPart | undefined {
  if (!config.paging) return undefined;
  const calendar = d.alerting.calendar;
  return startPaging({
    config: config.paging,
    clock: d.clock,
    log: d.log.child({ component: 'paging' }),
    incidents: d.alerting.incidents,
    stateDir: config.brain.state_dir,
    events: d.events,
    metrics: d.metrics,
    outboxHealth: d.disk.health('outbox'),
    secret: d.secret,
    ...(calendar ? { calendar } : {}),
    ...(d.onDelivery ? { onDelivery: d.onDelivery } : {}),
    ...(d.pair ? { pair: d.pair } : {}),
  });
}
