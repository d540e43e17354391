/**
 * The brain watching the market-data plant directly: it listens for the plant's health
 * heartbeats (docs/heartbeat-protocol.md) and turns them into series (measurement `plant`)
 * and events: heartbeat lost and back, role changes (a fail-over), state changes (stale,
 * degraded). "The paper's failover logic counts heartbeats; so should the brain."
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { HealthListener } from '../../plant/health/listener.js';
import type { HealthHeartbeat } from '../../plant/health/types.js';
import type { EventLog } from '../state/event-log.js';
import { LineBuffer } from '../store/line-buffer.js';
import type { SeriesTable } from '../state/series-table.js';

export interface PlantHealthOptions {
  host: string;
  port: number;
  missedHeartbeats: number;
  clock: Clock;
  log: Logger;
  series: SeriesTable;
  events: EventLog;
  /** Stores the heartbeat's lines (not acknowledged to anyone: a UDP heartbeat is best effort). */
  /** Stores a heartbeat's lines; `bytes` is only valid during the call. */
  store: ((lines: number, bytes: Uint8Array) => void) | undefined;
}

const STATE_CODE: Record<HealthHeartbeat['state'], number> = { starting: 1, ok: 0, degraded: 2, stale: 3, down: 4 };

/** The numeric view of a heartbeat, one field per series. */
function fields(hb: HealthHeartbeat): Record<string, number> {
  return {
    primary: hb.role === 'primary' ? 1 : 0,
    state: STATE_CODE[hb.state],
    seq: hb.seq,
    in_per_s: hb.rates.in_per_s,
    out_per_s: hb.rates.out_per_s,
    latency_p50_us: hb.latency_us?.p50 ?? NaN,
    latency_p99_us: hb.latency_us?.p99 ?? NaN,
    latency_p999_us: hb.latency_us?.p999 ?? NaN,
    gaps_detected: hb.gaps.detected,
    gaps_recovered: hb.gaps.recovered,
    gaps_unrecoverable: hb.gaps.unrecoverable,
    duplicates: hb.duplicates,
    stale_symbols: hb.stale_symbols,
    failovers: hb.failovers,
  };
}

export async function watchPlantHealth(o: PlantHealthOptions): Promise<{ port: number; stop(): void }> {
  const listener = new HealthListener({ port: o.port, host: o.host, clock: o.clock, missedHeartbeats: o.missedHeartbeats });
  const lastState = new Map<string, HealthHeartbeat['state']>();
  // A pair's first primary (start of day) is an election, not a fail-over: only a takeover
  // after some member of the pair was already primary is reported as a role change.
  const pairsWithPrimary = new Set<string>();
  const tagsOf = (hb: HealthHeartbeat) => ({ component: hb.component, kind: hb.kind, ...(hb.pair ? { pair: hb.pair } : {}) });
  const event = (kind: string, hb: HealthHeartbeat, severity: number, attrs: Record<string, string> = {}, values: Record<string, number> = {}) =>
    o.events.publish({ timeUs: o.clock.nowUs(), kind, source: 'brain', agentId: '', tags: tagsOf(hb), attrs: { role: hb.role, state: hb.state, ...attrs }, values, severity });

  const lines = new LineBuffer(4096);
  listener.on('heartbeat', (hb) => {
    const timeUs = hb.time_us;
    lines.reset();
    for (const [field, value] of Object.entries(fields(hb))) {
      const s = o.series.intern(`plant:${hb.component}`, tagsOf(hb), { measurement: 'plant', field, tags: {}, kind: 0 });
      if (!s) continue;
      s.last = value;
      s.lastUs = timeUs;
      if (Number.isFinite(value)) lines.sample(s.linePrefix, value, timeUs);
    }
    o.store?.(lines.lines, lines.bytes);
    const previous = lastState.get(hb.component);
    if (previous !== undefined && previous !== hb.state) {
      event('plant.state', hb, hb.state === 'ok' ? 0 : hb.state === 'stale' || hb.state === 'down' ? 3 : 2, { from: previous, reason: hb.reason ?? '' }, { stale_symbols: hb.stale_symbols });
    }
    lastState.set(hb.component, hb.state);
  });
  listener.on('lost', (_id, last) => event('plant.heartbeat_lost', last, 3, {}, { last_seq: last.seq }));
  listener.on('recovered', (_id, hb) => event('plant.heartbeat_back', hb, 0));
  listener.on('role_change', (_id, from, to, hb) => {
    const pair = hb.pair ?? hb.component;
    if (to === 'primary' && !pairsWithPrimary.has(pair)) {
      pairsWithPrimary.add(pair);
      return void event('plant.role_elected', hb, 0, { from, to });
    }
    event('plant.role_change', hb, to === 'primary' ? 3 : 1, { from, to }, { failovers: hb.failovers });
  });
  const lastRole = new Map<string, HealthHeartbeat['role']>();
  listener.on('heartbeat', (hb) => {
    // Runs before the listener's role_change for the same heartbeat: only a steady primary counts.
    if (hb.role === 'primary' && lastRole.get(hb.component) === 'primary') pairsWithPrimary.add(hb.pair ?? hb.component);
    lastRole.set(hb.component, hb.role);
  });
  listener.on('malformed', (error, from) => o.log.debug({ from, error }, 'malformed plant heartbeat dropped'));
  const port = await listener.start();
  o.log.info({ port }, 'watching plant health heartbeats');
  return { port, stop: () => listener.stop() };
}
