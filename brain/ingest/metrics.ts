import type { Counter, Gauge, Histogram, MetricsRegistry } from '../../lib/metrics.js';

/** The ingest path's own counters, exported on /metrics. */
export interface IngestMetrics {
  batches: Counter;
  samples: Counter;
  events: Counter;
  duplicateBatches: Counter;
  missingBatches: Counter;
  refusedStreams: Counter;
  refusedBatches: Counter;
  refusedConnections: Counter;
  streamsOpen: Gauge;
  /** On the ingest worker, its own bucket counts (LagBuckets), sent to the main thread's /metrics. */
  ingestLag?: Pick<Histogram, 'observe'>;
}

export const INGEST_LAG = {
  name: 'floorwatch_ingest_lag_seconds',
  help: "From a batch's newest sample on the agent to the brain taking the batch (on the ingest worker: to the worker reading it).",
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
};

/** A histogram's counts kept where it is observed (the ingest worker) and rendered elsewhere (MetricsRegistry.histogramFn). */
export class LagBuckets {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** `worker`: the lag histogram is the worker's (registered by brain/start/ingest-worker.ts), not observed here. */
export function ingestMetrics(r: MetricsRegistry, o: { worker?: boolean } = {}): IngestMetrics {
  return {
    batches: r.counter('floorwatch_ingest_batches_total', 'Sample batches accepted (duplicates excluded).'),
    samples: r.counter('floorwatch_ingest_samples_total', 'Samples accepted (duplicates excluded).'),
    events: r.counter('floorwatch_ingest_events_total', 'Events received from agents.'),
    duplicateBatches: r.counter('floorwatch_ingest_duplicate_batches_total', 'Batches received again after a replay and ignored.'),
    missingBatches: r.counter('floorwatch_ingest_missing_batches_total', 'Batch seqs never received (dropped by an agent queue).'),
    refusedStreams: r.counter('floorwatch_ingest_refused_streams_total', 'Agent streams refused, by error code.', ['code']),
    refusedBatches: r.counter(
      'floorwatch_ingest_refused_batches_total',
      'Batches refused (not acknowledged, the agent keeps them) while the state disk fails.',
    ),
    refusedConnections: r.counter('floorwatch_ingest_refused_connections_total', 'TCP connections refused by limits, by reason.', [
      'reason',
    ]),
    streamsOpen: r.gauge('floorwatch_ingest_streams_open', 'Agent streams currently open.'),
    ...(o.worker ? {} : { ingestLag: r.histogram(INGEST_LAG.name, INGEST_LAG.help, INGEST_LAG.buckets) }),
  };
}
