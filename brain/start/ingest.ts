/**
 * The brain's ingest part: the gRPC server for agent streams (each stream an IngestSession that
 * updates state, persists through the store part and acknowledges once durable), the agent
 * configuration it pushes, and the plant health listener (UDP heartbeats).
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { BrainConfig } from '../config.js';
import type { AgentRegistry } from '../ingest/agents.js';
import { ingestMetrics, type IngestMetrics } from '../ingest/metrics.js';
import { loadAgentPush } from '../ingest/agent-push.js';
import { watchPlantHealth } from '../ingest/plant-health.js';
import { certIdentities, splitAddress, startIngestServer, type IngestServer } from '../ingest/server.js';
import { IngestSession } from '../ingest/session.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import { LineBuffer } from '../store/line-buffer.js';
import { startIngestWorker } from './ingest-worker.js';
import type { StorePart } from './store.js';

export interface IngestPart {
  readonly grpcPort: number;
  readonly plantHealthPort: number | undefined;
  /** Stops liveness checks and plant health first, so shutting down reports no agent or component lost. */
  quiet(): void;
  close(): Promise<void>;
}

/** What the ingest part is started with; `accepting`: the brain pair's gate (a secondary refuses agents). */
export interface IngestDeps {
  clock: Clock;
  log: Logger;
  agents: AgentRegistry;
  series: SeriesTable;
  events: EventLog;
  metrics: MetricsRegistry;
  store: StorePart;
  accepting?: () => boolean;
}

export async function startIngest(config: BrainConfig, d: IngestDeps): Promise<IngestPart> {
  const { clock, log, agents, series, events } = d;
  const im = ingestMetrics(d.metrics, { worker: config.ingest.worker });
  registerStateMetrics(d.metrics, d);
  // ingest.worker with pair: is refused when the config loads (brain/config.ts): the worker's sessions do not see `accepting`.
  const ingest = config.ingest.worker ? await startIngestWorker(config, d, im) : await inThread(config, d, im);
  const plant = config.plant
    ? await watchPlantHealth({
        ...splitAddress(config.plant.health_listen),
        missedHeartbeats: config.plant.missed_heartbeats,
        lostConfirmMs: config.plant.lost_confirm_ms,
        aliveMaxMs: config.plant.alive_silence_max_ms,
        clock,
        log,
        series,
        events,
        store: d.store.persistOwn,
      })
    : undefined;
  return {
    grpcPort: ingest.port,
    plantHealthPort: plant?.port,
    quiet: () => {
      agents.stop();
      plant?.stop();
    },
    close: () => ingest.close(),
  };
}

/** Agents' streams read on this thread (`ingest.worker: false`, the default): ingest and alerting share its event loop. */
async function inThread(config: BrainConfig, d: IngestDeps, im: IngestMetrics): Promise<IngestServer> {
  const agentConfig = loadAgentPush(config);
  const lineBuffer = new LineBuffer();
  let pendingDurable = 0;
  const spoolPersist = d.store.persist;
  const persist = spoolPersist
    ? (agentId: string, seq: number, lines: number, bytes: Uint8Array) => {
        pendingDurable++;
        return spoolPersist(agentId, seq, lines, bytes).finally(() => pendingDurable--);
      }
    : undefined;
  d.metrics.gaugeFn(
    'floorwatch_ingest_pending_durable_batches',
    'Batches appended to the spool and not yet durable (their acks wait).',
    () => pendingDurable,
  );
  return startIngestServer(config, d.log, im, (call) => {
    new IngestSession(call, {
      clock: d.clock,
      log: d.log,
      brainId: config.brain.id,
      agents: d.agents,
      series: d.series,
      events: d.events,
      metrics: im,
      token: config.token,
      helloTimeoutMs: config.limits.hello_timeout_ms,
      maxSeriesPerStream: config.limits.max_series_per_stream,
      persist,
      ...(d.store.persistAccepting ? { persistAccepting: d.store.persistAccepting } : {}),
      lineBuffer,
      certIdentity: certIdentities,
      agentConfig: () => agentConfig,
      ...(d.accepting ? { accepting: d.accepting } : {}),
    });
  });
}

/** The drops of the state the ingest part fills, and what agents report of their own. */
function registerStateMetrics(m: MetricsRegistry, d: { agents: AgentRegistry; series: SeriesTable; events: EventLog }): void {
  m.counterFn(
    'floorwatch_series_refused_total',
    'New series refused because the series table was at limits.max_series_total.',
    () => d.series.refused,
  );
  m.counterFn(
    'floorwatch_series_charts_refused_total',
    'Charted series (wall board host detail) given no recent-values ring because limits.max_charted_series rings existed.',
    () => d.series.chartsRefused,
  );
  m.gaugeFn(
    'floorwatch_series_charted',
    'Series with a recent-values ring for the wall board charts (bounded by limits.max_charted_series).',
    () => d.series.charted,
  );
  m.counterFn(
    'floorwatch_event_ring_evicted_total',
    'Events pushed out of the brain event ring by newer ones (the API tail no longer shows them).',
    () => d.events.evicted,
  );
  m.counterFn(
    'floorwatch_event_listener_errors_total',
    'Event subscribers (rules, correlation) that threw on an event; the event went on to the others.',
    () => d.events.listenerErrors,
  );
  m.counterFn(
    'floorwatch_agent_dropped_samples_total',
    'Samples the agents report their disk queues dropped, summed as last reported (resets when an agent restarts).',
    () => {
      let n = 0;
      for (const a of d.agents.all()) n += a.agentDroppedSamples;
      return n;
    },
  );
}
