/**
 * Which fields the downsampling continuous queries keep, and how each is aggregated per interval
 * (docs/schema.md is the authority for the fields). Each is written back under its own name
 * (`mean("up") AS "up"`), so a dashboard reads raw and downsampled data with the same query,
 * only the retention policy differs. A wildcard `mean(*)` would rename every field `mean_<f>`.
 *
 * mean: gauges (an average over the interval; `up` becomes availability). last: counters (their
 * `difference()` and `spread()` still work). max: worst-case values (latencies, ages, backlogs).
 * Measurements whose fields are named by the user (`log_rule`, `synthetic`) are downsampled with
 * `mean(*)`, so there they are `mean_<field>`.
 */
export type Aggregate = 'mean' | 'last' | 'max';

const rates = (counters: string[]) => counters.map((c) => `${c}_per_s`);
const NIC_COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'];
const DISK_COUNTERS = ['write_bytes', 'read_bytes', 'write_ops', 'read_ops'];

type Catalogue = Record<string, Partial<Record<Aggregate, string[]>>>;

export const DOWNSAMPLED_FIELDS: Catalogue = {
  nic: {
    mean: ['up', 'operstate', 'carrier', 'speed_mbps', 'mtu', ...rates(NIC_COUNTERS)],
    last: ['carrier_changes', ...NIC_COUNTERS],
  },
  bond: { mean: ['slaves_total', 'slaves_up', 'mii_up'], last: ['active_slave_changes', 'link_failures'] },
  bond_slave: { mean: ['mii_up', 'active'], last: ['link_failures'] },
  memory: {
    mean: [
      'mem_available_bytes',
      'mem_total_bytes',
      'cached_bytes',
      'buffers_bytes',
      'nr_dirtied_per_s',
      'nr_written_per_s',
      'dirtied_bytes_per_s',
      'written_bytes_per_s',
      'dirty_threshold_bytes',
      'dirty_background_threshold_bytes',
    ],
    max: ['dirty_bytes', 'writeback_bytes', 'nr_dirty', 'nr_writeback'],
    last: ['nr_dirtied', 'nr_written'],
  },
  disk: { mean: rates(DISK_COUNTERS), max: ['in_flight'], last: DISK_COUNTERS },
  process: { mean: ['cpu_percent', 'rss_bytes', 'threads', 'fds'], last: ['uptime_s', 'restarts', 'reports_dropped'] },
  process_watch: { mean: ['count', 'cpu_percent', 'rss_bytes'] },
  plant: {
    mean: ['primary', 'in_per_s', 'out_per_s', 'latency_p50_us'],
    max: ['state', 'latency_p99_us', 'latency_p999_us', 'stale_symbols', 'peer_heartbeat_age_ms'],
    last: ['seq', 'gaps_detected', 'gaps_recovered', 'gaps_unrecoverable', 'duplicates', 'failovers'],
  },
  agent: {
    max: ['queue_pending_batches', 'queue_pending_bytes', 'rss_bytes'],
    last: ['queue_dropped_batches', 'queue_dropped_samples', 'series_refused', 'reconnects'],
  },
  brain: {
    mean: ['samples_per_s', 'batches_per_s', 'events_per_s', 'agents_connected', 'agents_known', 'store_up', 'incidents_active'],
    max: ['store_lag_lines', 'spool_bytes', 'rss_bytes', 'heap_used_bytes', 'event_loop_delay_p99_ms', 'series'],
    last: ['samples_total', 'store_forwarded_lines', 'store_rejected_lines', 'spool_dropped_lines'],
  },
};

/** Measurements with user-named fields: downsampled as `mean(*)` (fields become `mean_<field>`). */
export const WILDCARD_DOWNSAMPLED = ['log_rule', 'synthetic'];

/** `mean("up") AS "up", last("carrier_changes") AS "carrier_changes", ...` */
export function selectList(measurement: string): string {
  const fields = DOWNSAMPLED_FIELDS[measurement];
  if (!fields) return 'mean(*)';
  return Object.entries(fields)
    .flatMap(([agg, names]) => (names ?? []).map((f) => `${agg}("${f}") AS "${f}"`))
    .join(', ');
}
