/**
 * The `fix` log rule's cost per FIX message (#19), beside generic log rules on the same log: a
 * generated QuickFIX/J-layout message log (prefix, SOH; orders, two ExecutionReports each,
 * TestRequest → Heartbeat probes, heartbeats, now and then a ResendRequest and a gap fill), read
 * through the log sampler's rule engine three ways, each in CPU time (user+system) per 100,000
 * messages, median of 3 passes:
 *
 *   fix      the packaged `action: fix` rule alone (state, heartbeats, round trips, counts by
 *            MsgType and direction, per session)
 *   generic  the nearest generic rules can get: a count by MsgType (RE2 capture), the
 *            TestRequest → Heartbeat round trip (roundtrip rule), a count of Logouts; no session
 *            state, no heartbeat clock, no direction
 *   both     the two sets on one read of the file, as an agent runs them side by side
 *
 *   npx tsx bench/fix-rule.bench.ts [messages]     (default 1,000,000)
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../lib/clock.js';
import type { Emit } from '../agent/sampler.js';
import { logConfigSchema, type LogConfig } from '../agent/samplers/log/config.js';
import { LineSplitter } from '../agent/samplers/log/lines.js';
import { compileRules, runRules } from '../agent/samplers/log/log-rule.js';
import { parseConfigText } from '../lib/config-file.js';

const MESSAGES = Number(process.argv[2] ?? 1_000_000);
const SOH = '\x01';

const FIX_RULES = `
  - name: fix
    action: fix
    localCompIds: [FLOOR-OMS]
    defaultHeartBtIntS: 30`;

// SOH written as \\x01 inside RE2 (YAML single quotes keep the backslash).
const GENERIC_RULES = `
  - name: fix_by_type
    action: count
    pattern: '\\x0135=(?P<msg_type>[^\\x01]+)\\x01'
    tags: [msg_type]
  - name: fix_testrequest_rtt
    action: roundtrip
    request: '\\x0135=1\\x01.*\\x01112=(?P<id>[^\\x01]+)\\x01'
    response: '\\x0135=0\\x01.*\\x01112=(?P<id>[^\\x01]+)\\x01'
  - name: fix_logouts
    action: count
    pattern: '\\x0135=5\\x01'`;

const SETS: Record<string, string> = { fix: FIX_RULES, generic: GENERIC_RULES, both: FIX_RULES + GENERIC_RULES };

/** A QuickFIX/J FileLog line: "yyyyMMdd-HH:mm:ss.SSS: " then the message with its SOHs. */
function generate(path: string, messages: number): void {
  const fd = openSync(path, 'w');
  const seq = { out: 0, in: 0 };
  const t0 = Date.UTC(2026, 10, 23, 8, 0, 0);
  const fixTime = (ms: number) => new Date(ms).toISOString().replace(/-/g, '').replace('T', '-').slice(0, 21);
  let chunk = '';
  let n = 0;
  const msg = (out: boolean, atMs: number, type: string, body: string[]) => {
    const [s, t] = out ? ['FLOOR-OMS', 'VENUE-GW'] : ['VENUE-GW', 'FLOOR-OMS'];
    const inner = [`35=${type}`, `49=${s}`, `56=${t}`, `34=${out ? ++seq.out : ++seq.in}`, `52=${fixTime(atMs)}`, ...body].join(SOH) + SOH;
    const head = `8=FIX.4.4${SOH}9=${inner.length}${SOH}`;
    chunk += `${fixTime(atMs)}: ${head}${inner}10=000${SOH}\n`;
    n++;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  };
  msg(true, t0, 'A', ['98=0', '108=30']);
  msg(false, t0 + 2, 'A', ['98=0', '108=30']);
  for (let i = 0; n < messages; i++) {
    const at = t0 + 10 + i * 5;
    const id = `ORD-${i}`;
    msg(true, at, 'D', [`11=${id}`, '21=1', '55=EUR/USD', '54=1', `60=${fixTime(at)}`, '38=1000000', '40=2', '44=1.0871']);
    msg(false, at + 1, '8', [
      `37=V-${i}`,
      `17=X-${2 * i}`,
      '150=0',
      '39=0',
      '55=EUR/USD',
      '54=1',
      '151=1000000',
      '14=0',
      '6=0',
      `11=${id}`,
    ]);
    msg(false, at + 2, '8', [
      `37=V-${i}`,
      `17=X-${2 * i + 1}`,
      '150=F',
      '39=2',
      '55=EUR/USD',
      '54=1',
      '151=0',
      '14=1000000',
      '6=1.0871',
      '31=1.0871',
      '32=1000000',
      `11=${id}`,
    ]);
    if (i % 20 === 0) {
      msg(true, at + 3, '1', [`112=PROBE-${i}`]);
      msg(false, at + 4, '0', [`112=PROBE-${i}`]);
    }
    if (i % 100 === 50) (msg(true, at + 3, '0', []), msg(false, at + 4, '0', []));
    if (i % 5000 === 2500) (msg(false, at + 3, '2', [`7=${seq.out - 3}`, '16=0']), msg(true, at + 4, '4', [`36=${seq.out + 1}`, '123=Y']));
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

function runEngine(path: string, rulesYaml: string): { cpu: number; wall: number; emit: CountingEmit; lines: number } {
  const cfg = parseConfigText<LogConfig>(`enabled: true\nrules:${rulesYaml}\n`, logConfigSchema, 'bench rules');
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
  for (const r of rules) r.report(emit);
  const cpu = cpuSeconds() - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  closeSync(fd);
  return { cpu, wall, emit, lines };
}

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-fix-'));
try {
  const log = join(dir, 'FIX.4.4-FLOOR-OMS-VENUE-GW.messages.log');
  generate(log, MESSAGES);
  const mb = statSync(log).size / 1e6;
  console.log(`log: ${MESSAGES.toLocaleString()} FIX messages (QuickFIX/J FileLog layout, SOH), ${mb.toFixed(0)} MB`);
  const per100k: Record<string, number> = {};
  // One warm-up pass of each set first: the engine is compiled before anything is timed.
  for (const rules of Object.values(SETS)) runEngine(log, rules);
  for (const [name, rules] of Object.entries(SETS)) {
    const runs = [runEngine(log, rules), runEngine(log, rules), runEngine(log, rules)].sort((a, b) => a.cpu - b.cpu);
    const mid = runs[1]!;
    per100k[name] = (mid.cpu / mid.lines) * 100_000;
    console.log(
      `${name.padEnd(8)} CPU ${(per100k[name] * 1000).toFixed(1)} ms per 100,000 messages (${Math.round(mid.lines / mid.cpu).toLocaleString()} messages/s per core; ` +
        `CPU ${mid.cpu.toFixed(2)} s, wall ${mid.wall.toFixed(2)} s for ${mid.lines.toLocaleString()} lines; gauges ${mid.emit.gauges}, counters ${mid.emit.counters}, events ${mid.emit.events})`,
    );
  }
  console.log(
    `fix / generic: ${(per100k['fix']! / per100k['generic']!).toFixed(2)}x; both - generic (the fix rule's extra cost beside generic rules): ${((per100k['both']! - per100k['generic']!) * 1000).toFixed(1)} ms per 100,000`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
