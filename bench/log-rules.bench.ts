/**
 * Log rule engine throughput: 2,000,000 lines of a trading application's log (FIX messages,
 * latency lines, ERROR lines) through 5 rules, in CPU time (user+system) so the figure is per
 * core. When Debian's mtail is installed, it runs equivalent programs on the same file
 * (`mtail -one_shot`) in the same run and the ratio is printed. Each pattern's capture path is
 * printed too: `V8 fast path` (provably unambiguous, linear.ts) or `RE2 exec`.
 *
 *   npx tsx bench/log-rules.bench.ts [lines]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../lib/clock.js';
import type { Emit } from '../agent/sampler.js';
import { logConfigSchema, type LogConfig } from '../agent/samplers/log/config.js';
import { LineSplitter } from '../agent/samplers/log/lines.js';
import { compileRules, runRules } from '../agent/samplers/log/log-rule.js';
import { planLinear } from '../agent/samplers/log/linear.js';
import { parseConfigText } from '../lib/config-file.js';

const LINES = Number(process.argv[2] ?? 2_000_000);

const RULES_YAML = `
enabled: true
rules:
  - name: errors
    action: count
    pattern: '\\[(?P<level>ERROR|FATAL)\\] (?P<component>\\w+):'
    tags: [level]
  - name: latency
    action: metric
    pattern: 'latency_us=(?P<latency_us>\\d+)'
  - name: fix_testrequest_rtt
    action: roundtrip
    request: '\\|35=1\\|.*\\|112=(?P<id>[^|]+)\\|'
    response: '\\|35=0\\|.*\\|112=(?P<id>[^|]+)\\|'
  - name: new_orders
    action: count
    pattern: '\\|35=D\\|'
  - name: disconnects
    action: event
    pattern: 'session (?P<session>\\S+) disconnected'
    maxEventsPerSec: 100000
`;

// The same six regexes as mtail programs (mtail cannot pair ids, so the round trip is two counters).
const MTAIL_PROGS: Record<string, string> = {
  'errors.mtail': 'counter log_errors by level\n/\\[(?P<level>ERROR|FATAL)\\] (?P<component>\\w+):/ {\n  log_errors[$level]++\n}\n',
  'latency.mtail': 'gauge latency_us\n/latency_us=(?P<latency_us>\\d+)/ {\n  latency_us = $latency_us\n}\n',
  'testreq.mtail': 'counter fix_testrequests\n/\\|35=1\\|.*\\|112=(?P<id>[^|]+)\\|/ {\n  fix_testrequests++\n}\n',
  'heartbeat.mtail': 'counter fix_heartbeats\n/\\|35=0\\|.*\\|112=(?P<id>[^|]+)\\|/ {\n  fix_heartbeats++\n}\n',
  'orders.mtail': 'counter new_orders\n/\\|35=D\\|/ {\n  new_orders++\n}\n',
  'disconnects.mtail': 'counter disconnects\n/session (?P<session>\\S+) disconnected/ {\n  disconnects++\n}\n',
};

function generate(path: string, lines: number): void {
  const fd = openSync(path, 'w');
  let chunk = '';
  let pendingTr = 0;
  for (let i = 0; i < lines; i++) {
    const us = String(i % 1_000_000).padStart(6, '0');
    const ts = `2026-11-23 08:${String(Math.floor(i / 60_000_000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1_000_000) % 60).padStart(2, '0')}.${us}`;
    const r = i % 1000;
    let line: string;
    if (r < 350) line = `${ts} [INFO] fixgw: OUT 8=FIX.4.4|9=148|35=D|49=BANK|56=VENUE|34=${i}|52=20261123-08:00:00.${us}|11=ORD${i}|55=EUR/USD|54=1|38=1000000|44=1.0845|10=123|`;
    else if (r < 400) {
      pendingTr = i;
      line = `${ts} [INFO] fixgw: OUT 8=FIX.4.4|9=60|35=1|49=BANK|56=VENUE|34=${i}|112=TR${i}|10=045|`;
    } else if (r < 450) line = `${ts} [INFO] fixgw: IN 8=FIX.4.4|9=60|35=0|49=VENUE|56=BANK|34=${i}|112=TR${pendingTr}|10=046|`;
    else if (r < 750) line = `${ts} [INFO] pricer: tick EUR/USD bid=1.0845 ask=1.0846 latency_us=${(i * 37) % 5000} queue=${i % 17}`;
    else if (r < 770) line = `${ts} [ERROR] router: order ORD${i} rejected by VENUE: price outside band`;
    else if (r === 771) line = `${ts} [FATAL] pricer: feed handler heartbeat lost`;
    else if (r === 772) line = `${ts} [WARN] fixgw: session FIX.4.4:BANK->VENUE disconnected`;
    else line = `${ts} [INFO] oms: position EUR/USD net=${i % 100000} pnl=${(i % 977) - 488}.25 book=FX-SPOT-LDN`;
    chunk += line + '\n';
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

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
    runRules(rules, { buf, starts: split.starts, ends: split.ends, count: split.count, file: path, arrivalUs: systemClock.nowUs(), backlog: false }, emit);
    offset += used;
  }
  const cpu = cpuSeconds() - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  closeSync(fd);
  for (const r of rules) r.report(emit);
  return { cpu, wall, emit, lines };
}

function runMtail(dir: string, path: string): { cpu: number; wall: number; output: string } | string {
  try {
    execFileSync('mtail', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'mtail not installed (apt-get install -y mtail): no comparison';
  }
  const progs = join(dir, 'progs');
  mkdirSync(progs, { recursive: true });
  for (const [name, text] of Object.entries(MTAIL_PROGS)) writeFileSync(join(progs, name), text);
  const wall0 = performance.now();
  // bash's `time` reports the child's user+system CPU over all its threads, which Node cannot read.
  const r = spawnSync(
    'bash',
    ['-c', 'TIMEFORMAT="cpu %U %S"; time mtail -one_shot -progs "$1" -logs "$2" >"$3" 2>/dev/null', 'bash', progs, path, join(dir, 'mtail.json')],
    { encoding: 'utf8' },
  );
  const wall = (performance.now() - wall0) / 1000;
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) return `mtail failed (${r.status}): ${r.stderr.slice(0, 300)}`;
  return { cpu: Number(m[1]) + Number(m[2]), wall, output: readFileSync(join(dir, 'mtail.json'), 'utf8') };
}

function MTAIL_VERSION(): string {
  return execFileSync('mtail', ['--version'], { encoding: 'utf8' }).split(' ')[2] ?? '?';
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
    console.log(`mtail ${MTAIL_VERSION()}: ${Math.round(theirs).toLocaleString()} lines/s per core (CPU ${m.cpu.toFixed(2)} s over all its threads, wall ${m.wall.toFixed(2)} s)`);
    console.log(`ratio floorwatch / mtail (per core): ${(ours / theirs).toFixed(1)}x`);
    const counted = /"name": "new_orders"[\s\S]*?"Value": (\d+)/.exec(m.output);
    if (counted) console.log(`check: mtail new_orders ${counted[1]}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
