/**
 * Log rule engine throughput: 2,000,000 lines of a trading application's log (FIX messages,
 * latency lines, ERROR lines) through 5 rules, in CPU time (user+system) so the figure is per
 * core. When Debian's mtail is installed, it runs equivalent programs on the same file
 * (`mtail -one_shot`) in the same run and the ratio is printed. Each pattern's capture path is
 * printed too: `V8 fast path` (provably unambiguous, linear.ts) or `RE2 exec`.
 *
 *   npx tsx bench/log-rules.bench.ts [lines]
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../lib/clock.js';
import type { Emit } from '../agent/sampler.js';
import { logConfigSchema, type LogConfig } from '../agent/samplers/log/config.js';
import { LineSplitter } from '../agent/samplers/log/lines.js';
import { compileRules, runRules } from '../agent/samplers/log/log-rule.js';
import { planLinear } from '../agent/samplers/log/linear.js';
import { parseConfigText } from '../lib/config-file.js';
import { MTAIL_VERSION, RULES_YAML, generate, runMtail } from './lib/trading-log.js';

const LINES = Number(process.argv[2] ?? 2_000_000);

class CountingEmit implements Emit {
  gauges = 0;
  counters = 0;
  events = 0;
  errors = 0;
  gauge(): void {
    this.gauges++;
  }
  counter(): void {
    this.counters++;
  }
  event(): void {
    this.events++;
  }
  error(): void {
    this.errors++;
  }
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function runEngine(path: string): { cpu: number; wall: number; emit: CountingEmit; lines: number } {
  const cfg = parseConfigText<LogConfig>(RULES_YAML, logConfigSchema, 'bench rules');
  const rules = compileRules(cfg.rules, { clock: systemClock, eventLineBytes: cfg.eventLineBytes });
  const emit = new CountingEmit();
  const split = new LineSplitter(cfg.maxLineBytes);
  const buf = Buffer.allocUnsafe(cfg.readChunkBytes);
  const state = { skipping: false };
  const counts = { longLines: 0, skippedBytes: 0 };
  const fd = openSync(path, 'r');
  let offset = 0;
  let lines = 0;
  const cpu0 = cpuSeconds();
  const wall0 = performance.now();
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) break;
    const used = split.split(buf, 0, n, state, counts, n < buf.length);
    lines += split.count;
    runRules(
      rules,
      { buf, starts: split.starts, ends: split.ends, count: split.count, file: path, arrivalUs: systemClock.nowUs(), backlog: false },
      emit,
    );
    offset += used;
  }
  const cpu = cpuSeconds() - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  closeSync(fd);
  for (const r of rules) r.report(emit);
  return { cpu, wall, emit, lines };
}

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-log-'));
try {
  const log = join(dir, 'trading.log');
  generate(log, LINES);
  const mb = statSync(log).size / 1e6;
  console.log(`log: ${LINES.toLocaleString()} lines, ${mb.toFixed(0)} MB; 5 rules (6 regexes)`);
  for (const r of parseConfigText<LogConfig>(RULES_YAML, logConfigSchema, 'bench rules').rules) {
    for (const p of [r.pattern, r.request, r.response]) {
      if (p === undefined) continue;
      const names = [...p.matchAll(/\(\?P<(\w+)>/g)].map((m) => m[1]);
      const v = planLinear(p, names);
      const path = names.length === 0 ? 'none needed (literal search or RE2 test)' : v.ok ? 'V8 fast path' : `RE2 exec (${v.reason})`;
      console.log(`  ${r.name}: /${p}/ captures: ${path}`);
    }
  }
  const runs = [runEngine(log), runEngine(log), runEngine(log)].sort((a, b) => a.cpu - b.cpu);
  const best = runs[1]!; // median of 3
  const ours = best.lines / best.cpu;
  console.log(
    `floorwatch rules: ${Math.round(ours).toLocaleString()} lines/s per core (CPU ${best.cpu.toFixed(2)} s, wall ${best.wall.toFixed(2)} s); ` +
      `gauges ${best.emit.gauges}, counters ${best.emit.counters}, events ${best.emit.events}`,
  );
  const m = runMtail(dir, log);
  if (typeof m === 'string') console.log(m);
  else {
    const theirs = LINES / m.cpu;
    console.log(
      `mtail ${MTAIL_VERSION()}: ${Math.round(theirs).toLocaleString()} lines/s per core (CPU ${m.cpu.toFixed(2)} s over all its threads, wall ${m.wall.toFixed(2)} s)`,
    );
    console.log(`ratio floorwatch / mtail (per core): ${(ours / theirs).toFixed(1)}x`);
    const counted = /"Name": "new_orders"[\s\S]*?"Value": (\d+)/.exec(m.output);
    if (counted) console.log(`check: mtail new_orders ${counted[1]}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
