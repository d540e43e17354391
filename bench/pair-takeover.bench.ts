/**
 * What becoming primary costs the new primary's event loop (issue #16). The new primary renews its
 * lease on the same event loop that starts alerting, history and paging; while that loop is held
 * longer than the lease (`missed_heartbeats × heartbeat_ms × 0.9`, 360 ms packaged), the lease
 * lapses and the pair flaps.
 *
 * Witness, brain A and brain B (compiled CLI, separate processes) with every packaged rule file,
 * one agent listing both brains (test/helpers/pair.ts). Each run SIGKILLs the primary, waits for
 * the survivor's `pair: take-over: event loop` log line (brain/pair/takeover-steps.ts: each start
 * step's wall and CPU time, and node's event-loop delay max from the election to 1 s after the
 * last step), counts the survivor's role changes in the 5 s after its election (a lapse is a step
 * down), restarts the killed brain and waits until the pair has settled again.
 *
 * Run (after `npm run build`): node --import tsx bench/pair-takeover.bench.ts [--runs 10] [--hb-ms 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { other, startPairAgent, startPairFloor } from '../test/helpers/pair.js';
import { freePort } from '../test/helpers/wait.js';
import { killAll, runBench, sleep, waitFor } from './lib/procs.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RUNS = Number(arg('runs', '10'));
const HB_MS = Number(arg('hb-ms', '200'));
const LEASE_MS = 2 * HB_MS * 0.9;
const BUDGET_MS = (120 + RUNS * 60) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-takeover-'));
const cleanups: (() => unknown)[] = [];
const owner = { teardown: (fn: () => unknown) => void cleanups.push(fn) };
const budget = setTimeout(() => {
  console.error(`over budget (${BUDGET_MS / 1000} s)`);
  killAll();
  process.exit(1);
}, BUDGET_MS);

interface Report {
  startMs: number;
  longestBlockMs: number;
  longestStepCpuMs?: number;
  steps: { name: string; wallMs: number; cpuMs?: number }[];
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!.toFixed(1);
  // Nothing is paged here: the SNPP port only has to be a valid one.
  const floor = await startPairFloor(owner, dir, {
    snppPort: await freePort(),
    heartbeatMs: HB_MS,
    packagedRules: true,
    built: true,
    env: { FLOORWATCH_LOG_LEVEL: 'info' },
  });
  await startPairAgent(owner, dir, { id: 'bench-host', addresses: floor.addresses, built: true });
  const rows: { report: Report; changes: number; elected: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const primary = await floor.settled(60_000);
    const survivor = other(primary);
    const proc = floor.brains[survivor]!;
    const seen = proc.stderr.length;
    const at = Date.now();
    await floor.brains[primary]!.kill('SIGKILL');
    const elected = await waitFor(
      'the new primary in its role log',
      () => floor.roleLog(survivor).find((l) => l.role === 'primary' && l.atMs >= at),
      30_000,
      5,
    );
    const report = await waitFor(
      "the survivor's take-over report",
      () => {
        for (const l of proc.stderr.slice(Math.max(0, seen - 50)))
          if (l.includes('"pair: take-over: event loop"')) {
            const r = JSON.parse(l) as Report & { term: number };
            if (r.term === elected.term) return r;
          }
        return undefined;
      },
      30_000,
      20,
    );
    await sleep(Math.max(0, elected.atMs + 5_000 - Date.now()));
    const changes = floor.roleLog(survivor).filter((l) => l.atMs > elected.atMs && l.atMs <= elected.atMs + 5_000).length;
    rows.push({ report, changes, elected: elected.atMs - at });
    const steps = report.steps.map((s) => `${s.name} ${s.wallMs}/${s.cpuMs ?? '?'}`).join(', ');
    console.error(
      `run ${run + 1}: brain-${survivor} primary after ${elected.atMs - at} ms; start ${report.startMs} ms; longest loop block ${report.longestBlockMs} ms; ` +
        `steps (wall/cpu ms): ${steps}; role changes in 5 s after: ${changes}; load ${loadavg()[0]!.toFixed(1)}`,
    );
    await floor.startBrain(primary);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const blocks = sorted(rows.map((r) => r.report.longestBlockMs));
  const cpu = sorted(rows.map((r) => r.report.longestStepCpuMs ?? NaN));
  const starts = sorted(rows.map((r) => r.report.startMs));
  const med = (xs: number[]) => xs[Math.floor(xs.length / 2)];
  console.log(
    [
      `pair take-over, ${RUNS} kills, heartbeat ${HB_MS} ms (lease ${LEASE_MS} ms), ${cpus().length} CPUs, load ${load0} → ${loadavg()[0]!.toFixed(1)}`,
      `longest event-loop block: median ${med(blocks)} ms, max ${blocks.at(-1)} ms; over the lease: ${blocks.filter((b) => b > LEASE_MS).length}/${RUNS}`,
      `longest step CPU: median ${med(cpu)} ms, max ${cpu.at(-1)} ms`,
      `election → last step: median ${med(starts)} ms, max ${starts.at(-1)} ms`,
      `new primary lost its role within 5 s: ${rows.filter((r) => r.changes > 0).length}/${RUNS}`,
    ].join('\n'),
  );
}

await runBench(
  main,
  async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  },
  budget,
  dir,
);
