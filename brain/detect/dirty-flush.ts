/**
 * DirtyMemoryFlushStorm: the periodic "dirty memory jumps, then a write burst drains it"
 * pattern (mmap()ed files closed on a schedule, seed 001), from the memory sampler's series
 * (agent/samplers/memory/README.md): `memory dirty_bytes`, `memory dirty_threshold_bytes` and
 * the per-disk counter `disk write_bytes`. A cycle is a dirty peak that falls by `drain_share`
 * while the host's disks write at least `burst_share` of what drained; the pattern is present
 * when the newest `min_cycles` (or more) cycles in the window come at a regular period and the
 * last one is no older than two periods. It fires when the pattern's peak reaches `storm_share` of the kernel's
 * dirty threshold (writers are throttled there: a flush storm), with its period and peak, and
 * resolves when the cycles stop or their peaks fall below that share.
 */
import type { Labels } from '../../lib/labels.js';
import type { RuleQuery, Severity } from '../rules/rule.js';
import type { DirtyFlushConfig } from './config.js';
import type { Detector, Finding } from './detector.js';
import { History, median, type Point } from './history.js';

export const DIRTY_FLUSH_ALERT = 'DirtyMemoryFlushStorm';

const MAX_POINTS = 4096;
const MAX_HOSTS = 100_000;
const MAX_DISKS = 64;
const MAX_CYCLES = 1024;

export interface FlushCycle {
  readonly peakAt: number;
  readonly peak: number;
  readonly drainedAt: number;
  readonly trough: number;
}

interface HostTrack {
  labels: Labels;
  lastDirtyAt: number;
  scanner: CycleScanner;
  /** Cycles in the window; `burst` undefined while the disks have not reported past the drain. */
  cycles: (FlushCycle & { burst: boolean | undefined })[];
  droppedCycles: number;
  threshold: number;
  disks: Map<string, History>;
  /** The pattern found at the last new sample; judging again needs new samples. */
  analysis: Analysis | undefined;
  /** The finding while no pattern is seen: the same at every look, so made once (a floor is mostly quiet). */
  quiet: Finding | undefined;
}

interface Analysis {
  readonly pattern: { periodMs: number; cycles: number } | undefined;
  readonly lastPeakAt: number;
  readonly peak: number;
}

export class DirtyMemoryFlushPattern implements Detector {
  readonly alertname = DIRTY_FLUSH_ALERT;
  readonly severity: Severity;
  readonly forMs = 0;
  readonly #c: DirtyFlushConfig;
  readonly #hosts = new Map<string, HostTrack>();
  #droppedHosts = 0;

  constructor(config: DirtyFlushConfig) {
    this.#c = config;
    this.severity = config.severity;
  }

  get dropped(): number {
    let n = this.#droppedHosts;
    for (const h of this.#hosts.values()) {
      n += h.droppedCycles;
      for (const d of h.disks.values()) n += d.dropped;
    }
    return n;
  }

  observe(query: RuleQuery, nowMs: number): Finding[] {
    this.#record(query, nowMs);
    const out: Finding[] = [];
    for (const [agent, h] of this.#hosts) {
      if (nowMs - h.lastDirtyAt > this.#c.window_ms) {
        this.#hosts.delete(agent);
        continue;
      }
      out.push(this.#judge(h, nowMs));
    }
    return out;
  }

  #record(query: RuleQuery, nowMs: number): void {
    const since = nowMs - this.#c.window_ms;
    for (const s of query.series('memory', 'dirty_bytes')) {
      const h = this.#host(s.labels);
      if (!h || !(s.atMs > h.lastDirtyAt) || !Number.isFinite(s.value)) continue;
      h.lastDirtyAt = s.atMs;
      h.analysis = undefined;
      const cycle = h.scanner.push({ t: s.atMs, v: s.value });
      if (cycle) h.cycles.push({ ...cycle, burst: undefined });
      while (h.cycles.length > 0 && (h.cycles[0]!.peakAt < since || h.cycles.length > MAX_CYCLES)) {
        if (h.cycles.shift()!.peakAt >= since) h.droppedCycles++;
      }
    }
    for (const s of query.series('memory', 'dirty_threshold_bytes')) {
      const h = this.#hosts.get(s.labels['agent'] ?? '');
      if (h && Number.isFinite(s.value)) h.threshold = s.value;
    }
    for (const s of query.series('disk', 'write_bytes')) {
      const h = this.#hosts.get(s.labels['agent'] ?? '');
      const device = s.labels['device'] ?? '';
      if (!h) continue;
      let d = h.disks.get(device);
      if (!d) {
        if (h.disks.size >= MAX_DISKS) continue;
        d = new History(MAX_POINTS);
        h.disks.set(device, d);
      }
      // Keep one point before the window: the counter's value at an early peak.
      if (d.record(s.atMs, s.value)) {
        d.trim(since - 60_000);
        h.analysis = undefined;
      }
    }
  }

  #host(labels: Labels): HostTrack | undefined {
    const agent = labels['agent'] ?? '';
    let h = this.#hosts.get(agent);
    if (!h) {
      if (this.#hosts.size >= MAX_HOSTS) {
        this.#droppedHosts++;
        return undefined;
      }
      h = {
        labels: { agent, ...(labels['host'] ? { host: labels['host'] } : {}) },
        lastDirtyAt: 0,
        scanner: new CycleScanner(this.#c.min_peak_bytes, this.#c.drain_share),
        cycles: [],
        droppedCycles: 0,
        threshold: NaN,
        disks: new Map(),
        analysis: undefined,
        quiet: undefined,
      };
      this.#hosts.set(agent, h);
    }
    return h;
  }

  #judge(h: HostTrack, nowMs: number): Finding {
    const analysis = (h.analysis ??= this.#analyse(h));
    if (analysis.pattern === undefined) return (h.quiet ??= this.#finding(h, analysis, nowMs));
    return this.#finding(h, analysis, nowMs);
  }

  #finding(h: HostTrack, { pattern, lastPeakAt, peak }: Analysis, nowMs: number): Finding {
    const c = this.#c;
    const gone = pattern !== undefined && nowMs - lastPeakAt > 2 * pattern.periodMs;
    const share = h.threshold > 0 ? peak / h.threshold : 0;
    const active = pattern !== undefined && !gone && share >= c.storm_share;
    return {
      labels: h.labels,
      value: peak,
      active,
      cleared: !active,
      describe: () => {
        const where = h.labels['host'] ?? h.labels['agent'] ?? '?';
        const periodS = pattern ? (pattern.periodMs / 1000).toFixed(1) : '?';
        return {
          summary: `dirty memory flush storm on ${where}: every ${periodS} s dirty memory rises to ${mib(peak)} MiB (${Math.round(share * 100)}% of the dirty threshold) and a write burst drains it`,
          attrs: {
            period_ms: String(Math.round(pattern?.periodMs ?? 0)),
            peak_bytes: String(peak),
            threshold_bytes: String(Number.isFinite(h.threshold) ? h.threshold : 0),
            peak_share: share.toFixed(3),
            cycles: String(pattern?.cycles ?? 0),
          },
        };
      },
    };
  }

  #analyse(h: HostTrack): Analysis {
    const c = this.#c;
    for (const y of h.cycles) if (y.burst === undefined) y.burst = this.#burstDrained(h, y);
    const cycles = h.cycles.filter((y) => y.burst === true);
    const pattern = regularPattern(cycles, c.min_cycles, c.max_period_jitter);
    const run = pattern ? cycles.slice(-pattern.cycles) : [];
    return { pattern, lastPeakAt: cycles[cycles.length - 1]?.peakAt ?? 0, peak: Math.max(0, ...run.map((y) => y.peak)) };
  }

  /**
   * Whether the disks wrote at least `burst_share` of what drained, from the peak to shortly
   * after the drain; undefined (ask again) while the writes so far fall short and some disk has
   * not yet reported past the drain.
   */
  #burstDrained(h: HostTrack, y: FlushCycle): boolean | undefined {
    const need = this.#c.burst_share * (y.peak - y.trough);
    const until = y.drainedAt + this.#c.drain_slack_ms;
    let written = 0;
    let complete = true;
    for (const d of h.disks.values()) {
      const from = d.at(y.peakAt);
      const to = d.at(until);
      if (from && to && to.v >= from.v) written += to.v - from.v;
      if (d.lastAt < until) complete = false;
    }
    if (written >= need) return true;
    return complete ? false : undefined;
  }
}

/**
 * Finds flush cycles as dirty samples arrive, at O(1) a sample: a dirty peak (at least
 * `minPeak`) followed by a fall to `(1 - drainShare)` of it before dirty rises above it again.
 * A cycle ends at its drain; the next peak is looked for from there.
 */
export class CycleScanner {
  #peak: Point | undefined;

  constructor(
    private readonly minPeak: number,
    private readonly drainShare: number,
  ) {}

  /** The cycle this sample completes, if it does. */
  push(p: Point): FlushCycle | undefined {
    const peak = this.#peak;
    if (!peak || p.v > peak.v) {
      this.#peak = p;
      return undefined;
    }
    if (peak.v < this.minPeak || p.v > peak.v * (1 - this.drainShare)) return undefined;
    this.#peak = p;
    return { peakAt: peak.t, peak: peak.v, drainedAt: p.t, trough: p.v };
  }
}

/**
 * The newest run of cycles that come at a regular period: every interval between their peaks
 * within `maxJitter` of the run's median interval, and at least `minCycles` of them. An
 * irregular cycle breaks the run, so a stray flush between two regular ones is no pattern.
 */
export function regularPattern(
  cycles: readonly FlushCycle[],
  minCycles: number,
  maxJitter: number,
): { periodMs: number; cycles: number } | undefined {
  const intervals = cycles.slice(1).map((y, i) => y.peakAt - cycles[i]!.peakAt);
  let found: { periodMs: number; cycles: number } | undefined;
  for (let from = intervals.length - 1; from >= 0; from--) {
    const run = intervals.slice(from);
    const periodMs = median(run);
    if (!(periodMs > 0) || run.some((i) => Math.abs(i - periodMs) / periodMs > maxJitter)) break;
    found = { periodMs, cycles: run.length + 1 };
  }
  return found && found.cycles >= minCycles ? found : undefined;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
