/**
 * The log benchmarks' shared input: a generated trading application's log (FIX messages, latency
 * lines, ERROR lines), the 5 standard rules, the same regexes as mtail programs, and running
 * `mtail -one_shot` on a file with its CPU time (user+system over all its threads).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const RULES_YAML = `
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
export const MTAIL_PROGS: Record<string, string> = {
  'errors.mtail': 'counter log_errors by level\n/\\[(?P<level>ERROR|FATAL)\\] (?P<component>\\w+):/ {\n  log_errors[$level]++\n}\n',
  'latency.mtail': 'gauge latency_us\n/latency_us=(?P<latency_us>\\d+)/ {\n  latency_us = $latency_us\n}\n',
  'testreq.mtail': 'counter fix_testrequests\n/\\|35=1\\|.*\\|112=(?P<id>[^|]+)\\|/ {\n  fix_testrequests++\n}\n',
  'heartbeat.mtail': 'counter fix_heartbeats\n/\\|35=0\\|.*\\|112=(?P<id>[^|]+)\\|/ {\n  fix_heartbeats++\n}\n',
  'orders.mtail': 'counter new_orders\n/\\|35=D\\|/ {\n  new_orders++\n}\n',
  'disconnects.mtail': 'counter disconnects\n/session (?P<session>\\S+) disconnected/ {\n  disconnects++\n}\n',
};

export function generate(path: string, lines: number): void {
  const fd = openSync(path, 'w');
  let chunk = '';
  let pendingTr = 0;
  for (let i = 0; i < lines; i++) {
    const us = String(i % 1_000_000).padStart(6, '0');
    const ts = `2026-11-23 08:${String(Math.floor(i / 60_000_000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1_000_000) % 60).padStart(2, '0')}.${us}`;
    const r = i % 1000;
    let line: string;
    if (r < 350)
      line = `${ts} [INFO] fixgw: OUT 8=FIX.4.4|9=148|35=D|49=BANK|56=VENUE|34=${i}|52=20261123-08:00:00.${us}|11=ORD${i}|55=EUR/USD|54=1|38=1000000|44=1.0845|10=123|`;
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

export function runMtail(dir: string, path: string): { cpu: number; wall: number; output: string } | string {
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
    [
      '-c',
      'TIMEFORMAT="cpu %U %S"; time mtail -one_shot -progs "$1" -logs "$2" >"$3" 2>/dev/null',
      'bash',
      progs,
      path,
      join(dir, 'mtail.json'),
    ],
    { encoding: 'utf8' },
  );
  const wall = (performance.now() - wall0) / 1000;
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) return `mtail failed (${r.status}): ${r.stderr.slice(0, 300)}`;
  return { cpu: Number(m[1]) + Number(m[2]), wall, output: readFileSync(join(dir, 'mtail.json'), 'utf8') };
}

export function MTAIL_VERSION(): string {
  return execFileSync('mtail', ['--version'], { encoding: 'utf8' }).split(' ')[2] ?? '?';
}
