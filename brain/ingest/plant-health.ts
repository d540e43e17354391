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
import { PlantVerdicts } from './plant-verdicts.js';
import { LineBuffer } from '../store/line-buffer.js';
import type { SeriesTable } from '../state/series-table.js';

export interface PlantHealthOptions {
  host: string;
  port: number;
  missedHeartbeats: number;
  /** A silence or a takeover from a healthy-looking primary is confirmed after this long (brain/ingest/plant-verdicts.ts). */
  lostConfirmMs: number;
  /** A silent component whose wrapper reports its process alive is lost only after this long (brain/ingest/plant-verdicts.ts). */
  aliveMaxMs?: number;
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
    // A component warming up has no live data yet, which is not old data (plant/health/warm-up.ts).
    stale_symbols: hb.state === 'starting' ? NaN : hb.stale_symbols,
    failovers: hb.failovers,
    // The pair's heartbeat age as this member sees it: how long since it heard its peer.
    peer_heartbeat_age_ms: hb.peer?.age_ms ?? NaN,
    // The component's own event-loop stall at its last heartbeat tick (plant/health/publisher.ts).
    loop_stall_ms: hb.counters['loop_stall_ms'] ?? NaN,
  };
}

export async function watchPlantHealth(o: PlantHealthOptions): Promise<{ port: number; stop(): void }> {
  const listener = new HealthListener({ port: o.port, host: o.host, clock: o.clock, missedHeartbeats: o.missedHeartbeats });
  const lastState = new Map<string, HealthHeartbeat['state']>();
  const tagsOf = (hb: HealthHeartbeat) => ({ component: hb.component, kind: hb.kind, ...(hb.pair ? { pair: hb.pair } : {}) });
  const event = (
    kind: string,
    hb: HealthHeartbeat,
    severity: number,
    attrs: Record<string, string> = {},
    values: Record<string, number> = {},
    timeUs = o.clock.nowUs(),
  ) =>
    o.events.publish({
      timeUs,
      kind,
      source: 'brain',
      agentId: '',
      tags: tagsOf(hb),
      attrs: { role: hb.role, state: hb.state, ...attrs },
      values,
      severity,
    });

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
      event(
        'plant.state',
        hb,
        hb.state === 'ok' ? 0 : hb.state === 'stale' || hb.state === 'down' ? 3 : 2,
        { from: previous, reason: hb.reason ?? '' },
        { stale_symbols: hb.stale_symbols },
      );
    }
    lastState.set(hb.component, hb.state);
  });
  const verdicts = new PlantVerdicts({
    clock: o.clock,
    confirmMs: o.lostConfirmMs,
    publish: event,
    ...(o.aliveMaxMs !== undefined ? { aliveMaxMs: o.aliveMaxMs } : {}),
  });
  // The wrappers' word on whether a silent component's process lives (agent/wrapper: attrs.pid and
  // attrs.start_ticks, the process's identity across pid reuse).
  const unsubscribe = o.events.subscribe((e) => {
    if (e.kind !== 'process.start' && e.kind !== 'process.exit') return;
    const startTicks = e.attrs['start_ticks'];
    verdicts.processEvent(
      e.kind === 'process.start' ? 'start' : 'exit',
      Number(e.attrs['pid']),
      startTicks === undefined ? undefined : Number(startTicks),
    );
  });
  // Registered after the series listener: verdicts see the heartbeat before its role_change.
  listener.on('heartbeat', (hb) => verdicts.heartbeat(hb));
  listener.on('lost', (id, last) => verdicts.lost(id, last));
  listener.on('recovered', (id, hb) => verdicts.recovered(id, hb));
  listener.on('role_change', (id, from, to, hb) => verdicts.roleChange(id, from, to, hb));
  listener.on('malformed', (error, from) => o.log.debug({ from, error }, 'malformed plant heartbeat dropped'));
  const port = await listener.start();
  o.log.info({ port }, 'watching plant health heartbeats');
  return {
    port,
    stop: () => {
      unsubscribe();
      verdicts.stop();
      void listener.stop();
    },
  };
}
