/**
 * The brain's history part (brain/history/): its own events, the incidents, the paging outcomes
 * and its statistics, written through the spool to the time-series store. Started after the
 * alerting part (it listens to the incidents) and before notify (which reports deliveries to it);
 * stopped before the store, so its last lines reach the spool.
 */
import type { Clock } from '../../lib/clock.js';
import type { BrainConfig } from '../config.js';
import { startHistory, type History } from '../history/history.js';
import type { AgentRegistry } from '../ingest/agents.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { AlertingPart } from './alerting.js';
import type { StorePart } from './store.js';

export function startHistoryPart(
  config: BrainConfig,
  d: { clock: Clock; events: EventLog; agents: AgentRegistry; series: SeriesTable; alerting: AlertingPart; store: StorePart },
): History | undefined {
  const persist = d.store.persistOwn;
  if (!persist) return undefined;
  const { agents, series, events, store } = d;
  const incidents = d.alerting.incidents;
  return startHistory({
    clock: d.clock,
    brainId: config.brain.id,
    events,
    incidents,
    append: (text, lines) => persist(lines, Buffer.from(text, 'utf8')),
    selfMetricsEveryMs: config.store.self_metrics_every_ms,
    stats: () => {
      const s = store.status();
      let samples = 0;
      let batches = 0;
      let known = 0;
      for (const a of agents.all()) {
        samples += a.samplesReceived;
        batches += a.batchesReceived;
        known++;
      }
      return {
        counters: {
          samples_total: samples,
          batches_total: batches,
          events_total: events.total,
          store_forwarded_lines: s.forwarded_lines,
          store_rejected_lines: s.rejected_lines,
          spool_dropped_lines: s.spool_dropped_lines,
        },
        gauges: {
          agents_connected: agents.connectedCount,
          agents_known: known,
          series: series.size,
          spool_bytes: s.spool_bytes,
          store_up: s.up === false ? 0 : 1,
          store_lag_lines: Math.max(0, s.spool_appended_lines - s.forwarded_lines - s.rejected_lines),
          incidents_active: incidents.list({ status: 'active' }).length,
        },
      };
    },
  });
}
