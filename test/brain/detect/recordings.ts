/**
 * Sample streams of the memory and log samplers as the brain receives them (one value per
 * series per 1 s agent batch), shaped after the memory sampler's recorded flush
 * (agent/samplers/memory/README.md: dirty climbs, then `sync` drains it while the disk's
 * write counter jumps by what drained) and after FIX TestRequest → Heartbeat round trips.
 */
import type { Sample } from './series-feed.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface FlushShape {
  /** Peaks at these ms after the start (each a ramp of rampMs, then a drain). */
  readonly peaksAt: readonly number[];
  readonly peakBytes: number;
  readonly thresholdBytes?: number;
  readonly rampMs?: number;
  /** Share of what drained that the disk writes (0: the dirty pages were dropped, not written). */
  readonly writtenShare?: number;
  /** The recording lasts this long (quiet after the last cycle). */
  readonly untilMs: number;
}

/** memory dirty_bytes / dirty_threshold_bytes and disk write_bytes (vda), every second. */
export function flushRecording(f: FlushShape): Sample[] {
  const ramp = f.rampMs ?? 6_000;
  const threshold = f.thresholdBytes ?? 2 * GiB;
  const base = 2 * MiB;
  const out: Sample[] = [];
  let written = 1_603_084_288; // the disk's counter since boot
  let prevDirty = base;
  for (let at = 1_000; at <= f.untilMs; at += 1_000) {
    let dirty = base;
    for (const p of f.peaksAt) {
      if (at > p - ramp && at <= p) dirty = base + ((f.peakBytes - base) * (at - (p - ramp))) / ramp;
    }
    // Background writes trickle; a drain writes what left dirty memory.
    written += 64 * 1024 + Math.max(0, prevDirty - dirty) * (f.writtenShare ?? 1);
    prevDirty = dirty;
    out.push({ at, measurement: 'memory', field: 'dirty_bytes', value: Math.round(dirty) });
    out.push({ at, measurement: 'memory', field: 'dirty_threshold_bytes', value: threshold });
    out.push({ at, measurement: 'disk', field: 'write_bytes', tags: { device: 'vda' }, value: Math.round(written) });
  }
  return out;
}

export const periodic = (periodMs: number, cycles: number, firstAt = 10_000) =>
  Array.from({ length: cycles }, (_, i) => firstAt + i * periodMs);

/** log_rule rtt_us of one roundtrip rule: one completed TestRequest → Heartbeat per entry. */
export function roundTrips(
  rule: string,
  trips: readonly { at: number; rttUs: number }[],
  file = '/var/log/fixgw/session-lse.log',
): Sample[] {
  return trips.map((t) => ({ at: t.at, measurement: 'log_rule', field: 'rtt_us', tags: { rule, file }, value: t.rttUs }));
}

/** `n` round trips every `everyMs` from `fromMs`, each `rttUs` (± a small deterministic wobble). */
export function steady(fromMs: number, n: number, everyMs: number, rttUs: number): { at: number; rttUs: number }[] {
  return Array.from({ length: n }, (_, i) => ({ at: fromMs + i * everyMs, rttUs: Math.round(rttUs * (1 + 0.1 * Math.sin(i))) }));
}
