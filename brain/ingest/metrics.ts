import type { Counter, Gauge, MetricsRegistry } from '../../lib/metrics.js';

/** The ingest path's own counters, exported on /metrics. */
export interface IngestMetrics {
  batches: Counter;
  samples: Counter;
  events: Counter;
  duplicateBatches: Counter;
  missingBatches: Counter;
  refusedStreams: Counter;
  refusedConnections: Counter;
  streamsOpen: Gauge;
}

export function ingestMetrics(r: MetricsRegistry): IngestMetrics {
  return {
    batches: r.counter('floorwatch_ingest_batches_total', 'Sample batches accepted (duplicates excluded).'),
    samples: r.counter('floorwatch_ingest_samples_total', 'Samples accepted (duplicates excluded).'),
    events: r.counter('floorwatch_ingest_events_total', 'Events received from agents.'),
    duplicateBatches: r.counter('floorwatch_ingest_duplicate_batches_total', 'Batches received again after a replay and ignored.'),
    missingBatches: r.counter('floorwatch_ingest_missing_batches_total', 'Batch seqs never received (dropped by an agent queue).'),
    refusedStreams: r.counter('floorwatch_ingest_refused_streams_total', 'Agent streams refused, by error code.'),
    refusedConnections: r.counter('floorwatch_ingest_refused_connections_total', 'TCP connections refused by limits, by reason.'),
    streamsOpen: r.gauge('floorwatch_ingest_streams_open', 'Agent streams currently open.'),
  };
}
