/**
 * The brain's own statistics written to the time-series store on an interval (measurement
 * `brain`, docs/schema.md), so Grafana plots the monitor beside what it monitors: ingest rate,
 * store lag, spool, store health, memory and event-loop delay. Counters are sent as rates too
 * (`<name>_per_s` over the last interval), so a panel needs no derivative().
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock, Timer } from '../../lib/clock.js';
import { formatLine } from '../store/line-protocol.js';

export interface BrainStats {
  /** Monotonic counts since start; each also gets a `<name>_per_s` rate (`samples_total` → `samples_per_s`). */
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

export interface BrainMetricsOptions {
  clock: Clock;
  everyMs: number;
  tags: Record<string, string>;
  read: () => BrainStats;
  write: (line: string) => void;
}

export function startBrainMetrics(o: BrainMetricsOptions): { stop(): void } {
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  let previous: { atMs: number; counters: Record<string, number> } | undefined;
  const sample = () => {
    const { counters, gauges } = o.read();
    const atMs = o.clock.now();
    const fields: Record<string, number> = { ...counters, ...gauges };
    if (previous && atMs > previous.atMs) {
      for (const [name, value] of Object.entries(counters)) {
        const before = previous.counters[name];
        if (before !== undefined && value >= before)
          fields[`${name.replace(/_total$/, '')}_per_s`] = ((value - before) * 1000) / (atMs - previous.atMs);
      }
    }
    fields['rss_bytes'] = process.memoryUsage.rss();
    fields['heap_used_bytes'] = process.memoryUsage().heapUsed;
    fields['event_loop_delay_p99_ms'] = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    previous = { atMs, counters };
    const line = formatLine('brain', o.tags, fields, atMs * 1000);
    if (line) o.write(line);
  };
  const timer: Timer = o.clock.setInterval(sample, o.everyMs);
  return {
    stop() {
      timer.cancel();
      loopDelay.disable();
    },
  };
}
