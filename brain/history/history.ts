/**
 * What the brain itself knows, written to the time-series store through the spool like the
 * agents' samples (so it survives store outages the same way): its own events (plant
 * fail-overs among them), incidents as annotation points, paging outcomes, and its statistics
 * on an interval. The stage at the end of the pipeline: it only listens.
 */
import type { Clock } from '../../lib/clock.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { Notification } from '../channels/notification.js';
import type { DeliveryEntry } from '../notify/retry.js';
import type { EventLog } from '../state/event-log.js';
import { startBrainMetrics, type BrainStats } from './brain-metrics.js';
import { eventLine } from './event-points.js';
import { incidentLines } from './incident-points.js';
import { pageLine } from './page-points.js';

export interface HistoryOptions {
  clock: Clock;
  brainId: string;
  events: EventLog;
  incidents: IncidentStore;
  /** Appends line protocol ('\n'-terminated lines) to the spool. */
  append: (text: string, lines: number) => void;
  /** 0: no `brain` measurement. */
  selfMetricsEveryMs: number;
  stats: () => BrainStats;
}

export interface History {
  /** The paging half's delivery outcomes (wired as PagingDeps.onDelivery). */
  delivery(entry: DeliveryEntry, n: Notification): void;
  stop(): void;
}

export function startHistory(o: HistoryOptions): History {
  let pending: string[] = [];
  let flushQueued = false;
  // Points of one series at the same µs overwrite each other: later ones move on by 1 µs.
  let lastUs = 0;
  const uniqueUs = (timeUs: number) => (lastUs = Math.max(Math.round(timeUs), lastUs + 1));
  const write = (line: string | undefined) => {
    if (line === undefined) return;
    pending.push(line);
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(flush);
  };
  const flush = () => {
    flushQueued = false;
    if (pending.length === 0) return;
    o.append(pending.join('\n') + '\n', pending.length);
    pending = [];
  };

  // Every incident again at start: a point lost in a crash is written, the others stored once.
  for (const inc of o.incidents.list({ includeMerged: true })) for (const line of incidentLines(inc)) write(line);
  const unsubscribeIncidents = o.incidents.subscribe((inc) => {
    for (const line of incidentLines(inc)) write(line);
  });
  // Agents' events are stored by ingest with their batch; only the brain's own are written here.
  const unsubscribeEvents = o.events.subscribe((e) => {
    if (e.source === 'brain') write(eventLine(e, uniqueUs(e.timeUs)));
  });
  const selfMetrics =
    o.selfMetricsEveryMs > 0
      ? startBrainMetrics({ clock: o.clock, everyMs: o.selfMetricsEveryMs, tags: { brain: o.brainId }, read: o.stats, write })
      : undefined;
  return {
    delivery: (entry, n) => write(pageLine(entry, n, uniqueUs(entry.at * 1000))),
    stop() {
      unsubscribeIncidents();
      unsubscribeEvents();
      selfMetrics?.stop();
      flush();
    },
  };
}
