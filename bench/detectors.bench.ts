/**
 * What the named detectors cost the brain: one look (every `check_every_ms`, 250 ms) by both
 * detectors over N hosts, each sending memory dirty/threshold, a disk's write counter and a FIX
 * round trip once a second (one agent batch), after a full 5-minute window of history. Times
 * are wall-clock per look on the brain's thread (FakeClock drives time; the work is real).
 *
 *   npx tsx bench/detectors.bench.ts [hosts ...]
 */
import { FakeClock } from '../lib/clock.js';
import { parseBrainConfig } from '../brain/config.js';
import { createDetectors, DetectorStage } from '../brain/detect/index.js';
import { TableQuery } from '../brain/rules/query.js';
import { EventLog } from '../brain/state/event-log.js';
import { SeriesTable, type BrainSeries } from '../brain/state/series-table.js';

const WINDOW_S = 300;

function run(hosts: number): { p50: number; p99: number; max: number } {
  const clock = new FakeClock();
  const table = new SeriesTable(10_000_000);
  const events = new EventLog({ clock });
  const stage = new DetectorStage({
    clock,
    query: new TableQuery(table),
    events,
    detectors: createDetectors(parseBrainConfig('').detectors),
    checkEveryMs: 250,
  });
  const series: BrainSeries[][] = [];
  for (let h = 0; h < hosts; h++) {
    const tags = { agent: `ws-${h}`, host: `ws-${h}` };
    const def = (measurement: string, field: string, t: Record<string, string> = {}) =>
      table.intern(`ws-${h}`, tags, { measurement, field, tags: t, kind: 0 })!;
    series.push([
      def('memory', 'dirty_bytes'),
      def('memory', 'dirty_threshold_bytes'),
      def('disk', 'write_bytes', { device: 'nvme0n1' }),
      def('log_rule', 'rtt_us', { rule: 'fix', file: '/var/log/fix.log' }),
    ]);
  }
  let written = 0;
  const times: number[] = [];
  for (let sec = 0; sec < WINDOW_S + 60; sec++) {
    // A 30 s dirty cycle (20 s rising, drained by a write burst) on every host, peaking at 24% of the threshold.
    const phase = sec % 30;
    written += 1e5 + (phase === 20 ? 1e9 : 0);
    for (let quarter = 0; quarter < 4; quarter++) {
      clock.advance(250);
      // Agents are not synchronised: a quarter of the hosts' batches arrive in each look.
      for (let h = quarter; h < hosts; h += 4) {
        const [dirty, threshold, disk, rtt] = series[h]!;
        const us = clock.now() * 1000;
        for (const [s, v] of [
          [dirty!, phase < 20 ? phase * 5e7 : 1e6],
          [threshold!, 4e9],
          [disk!, written],
          [rtt!, 2_000 + (sec % 7) * 100],
        ] as const) {
          s.last = v;
          s.lastUs = us;
        }
      }
      const t0 = performance.now();
      stage.check();
      if (sec >= WINDOW_S) times.push(performance.now() - t0);
    }
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: times[times.length - 1]! };
}

const counts = process.argv.slice(2).map(Number);
console.log('| hosts | look p50 | look p99 | look max | share of one core (p50 / 250 ms) |');
console.log('|---:|---:|---:|---:|---:|');
for (const hosts of counts.length ? counts : [100, 1_000, 5_000]) {
  const r = run(hosts);
  console.log(
    `| ${hosts} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.max.toFixed(2)} ms | ${((r.p50 / 250) * 100).toFixed(1)} % |`,
  );
}
