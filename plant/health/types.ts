/** The plant's health heartbeat, version 1 (docs/heartbeat-protocol.md is the contract). */
export const HEALTH_VERSION = 1;
export const MAX_HEALTH_DATAGRAM_BYTES = 8192;

export const componentKinds = ['provider', 'feed_handler', 'ticker_plant', 'subscriber'] as const;
export type ComponentKind = (typeof componentKinds)[number];
export const healthRoles = ['primary', 'secondary', 'none'] as const;
export type HealthRole = (typeof healthRoles)[number];
/** ok: serving live data. degraded: serving, but a peer or a hop is impaired. stale: its data is not live. down: stopping. */
export const healthStates = ['starting', 'ok', 'degraded', 'stale', 'down'] as const;
export type HealthState = (typeof healthStates)[number];

export interface FeedStatus {
  /** Wall-clock µs of the last update received from this feed (0: never). */
  last_update_us: number;
  seq: number;
}

export interface HealthHeartbeat {
  v: 1;
  component: string;
  kind: ComponentKind;
  pair: string | null;
  role: HealthRole;
  state: HealthState;
  /** Why the state is not ok, for the page text. */
  reason: string | null;
  term: number;
  /** Monotonic per-sender heartbeat counter: the receiver sees lost health datagrams. */
  hb_seq: number;
  interval_ms: number;
  pid: number;
  /**
   * The process's start time in ticks since boot (/proc/self/stat; lib/process-identity.ts):
   * with `pid`, one process, not a later one reusing the pid. Absent or null where unknown.
   */
  start_ticks?: number | null;
  /** The component's sequence position (highest feed seq handled). */
  seq: number;
  rates: { in_per_s: number; out_per_s: number };
  latency_us: { p50: number; p99: number; p999: number; max: number; count: number } | null;
  gaps: { detected: number; recovered: number; unrecoverable: number; unrecoverable_records: number };
  duplicates: number;
  stale_symbols: number;
  stale_sample: string[];
  feeds: Record<string, FeedStatus>;
  failovers: number;
  /** Host-monotonic µs when the current role was taken (fail-over timing across processes). */
  role_since_mono_us: number;
  peer: { id: string; role: string; age_ms: number } | null;
  time_us: number;
  mono_us: number;
  /** Kind-specific counters (subscribers served, replayed records, drops...). */
  counters: Record<string, number>;
}
