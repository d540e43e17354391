/**
 * Where a plant process's latency tail comes from: garbage-collection pauses by kind (from V8's
 * own 'gc' performance entries) and event-loop delay (a timer's lateness, sampled by libuv),
 * so a summary tells a GC stall from a long synchronous loop from a starved CPU.
 */
import { PerformanceObserver, constants, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark_compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak_callbacks',
};

interface PauseTotals {
  count: number;
  total_ms: number;
  max_ms: number;
}

export class ProcessPauses {
  readonly #gc = new Map<string, PauseTotals>();
  readonly #observer: PerformanceObserver;
  readonly #loopDelay: IntervalHistogram;

  constructor() {
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
        const t = this.#gc.get(kind) ?? { count: 0, total_ms: 0, max_ms: 0 };
        t.count++;
        t.total_ms += e.duration;
        t.max_ms = Math.max(t.max_ms, e.duration);
        this.#gc.set(kind, t);
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
    this.#loopDelay = monitorEventLoopDelay({ resolution: 1 });
    this.#loopDelay.enable();
  }

  #warmup: Record<string, unknown> | null = null;

  /** What was seen so far was a benchmark's warm-up: kept as such, and measuring starts over. */
  markSteadyState(): void {
    this.#warmup = this.summary();
    this.#gc.clear();
    this.#loopDelay.reset();
  }

  summary(): Record<string, unknown> {
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const d = this.#loopDelay;
    const ms = (ns: number) => round(ns / 1e6);
    return {
      gc: Object.fromEntries([...this.#gc].map(([k, t]) => [k, { count: t.count, total_ms: round(t.total_ms), max_ms: round(t.max_ms) }])),
      event_loop_delay_ms: d.count > 0 ? { p50: ms(d.percentile(50)), p99: ms(d.percentile(99)), max: ms(d.max) } : null,
      heap_used_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      external_mb: Math.round(process.memoryUsage().external / 2 ** 20),
      ...(this.#warmup ? { warmup: this.#warmup } : {}),
    };
  }
}
