import type { HealthBody } from '../../plant/health/publisher.js';
import type { HealthHeartbeat } from '../../plant/health/types.js';

/** Who a stand-in component is; everything else in its heartbeat says "up, idle, nothing wrong". */
export type StandInIdentity = Pick<HealthBody, 'component' | 'kind' | 'pair' | 'role' | 'term' | 'failovers'>;

/** The health body of a component that is up and moving no data: what stand-in senders (tests, benchmarks) publish. */
export function idleHealth(who: StandInIdentity): HealthBody {
  return {
    ...who,
    state: 'ok',
    reason: null,
    seq: 0,
    rates: { in_per_s: 0, out_per_s: 0 },
    latency_us: null,
    gaps: { detected: 0, recovered: 0, unrecoverable: 0, unrecoverable_records: 0 },
    duplicates: 0,
    stale_symbols: 0,
    stale_sample: [],
    feeds: {},
    role_since_mono_us: 0,
    peer: null,
    counters: {},
  };
}

/** What a publisher adds to the body on the wire (plant/health/publisher.ts); tests that build datagrams by hand give it. */
export type HeartbeatEnvelope = Pick<HealthHeartbeat, 'hb_seq' | 'interval_ms' | 'pid' | 'time_us' | 'mono_us'>;

/** A whole heartbeat of an idle stand-in, as the listener and the brain receive it. */
export function idleHeartbeat(who: StandInIdentity, envelope: HeartbeatEnvelope): HealthHeartbeat {
  return { v: 1, ...idleHealth(who), ...envelope };
}
