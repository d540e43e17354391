/**
 * Detection latency (issue #5): fault injected → alert, floorwatch vs Prometheus + Alertmanager
 * (Debian packages, tuned as fast as they go: 1 s scrape, 1 s evaluation, group_wait 0s,
 * group_interval 1s, webhook receiver), side by side: every fault is seen by BOTH systems at once.
 *
 *  (a) process death: `floorwatch run` wraps a tiny Node HTTP server that also serves /metrics
 *      to Prometheus; one SIGKILL of that child. floorwatch: wrapper → agent socket → agent →
 *      gRPC → brain → ProcessExited. Prometheus: `up{job="target"} == 0` → Alertmanager → webhook.
 *  (b) NIC down: a veth whose peer lives in a network namespace; `ip -n NS link set PEER down`.
 *      floorwatch: agent nic sampler (netlink link watch) → brain → NicLinkDown. Prometheus:
 *      node_exporter (netclass) `node_network_up{device=X} == 0`.
 *  (c) plant heartbeat loss: a process sending the plant's health heartbeat every 100 ms to the
 *      brain (and serving /metrics to Prometheus), SIGKILLed. floorwatch: brain heartbeat
 *      listener (3 missed) → PlantHeartbeatLost. Prometheus: `up == 0` on the same process.
 *
 * The fault instant and both arrival times are taken in this process on one clock (the brain
 * runs in-process; its µs clock is wall-clock based, Date.now() µs for the webhook).
 * Each run gets a fresh `run` label on the Prometheus target (file_sd), so every alert is a new
 * Alertmanager group and waits group_wait (0s), never group_interval.
 *
 * Run (root: netns, Debian packages): node --import tsx bench/detection.bench.ts [--runs 20] [--only a,b,c]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseBrainConfig } from '../brain/config.js';
import { startBrain } from '../brain/main.js';
import type { BrainEvent } from '../brain/state/event-log.js';
import type { AlertRef } from '../brain/incidents/incident.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/log.js';
import { wrappedArgs } from '../test/helpers/floorwatch.js';
import { freePort } from '../test/helpers/wait.js';
import { floorwatch, killAll, ROOT, runBench, sleep, start, stopProc, TARGET_JS, waitFor } from './lib/procs.js';
import { startPromStack } from './lib/prom-stack.js';
import { ms, pct, stat } from './lib/stats.js';

const run = promisify(execFile);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RUNS = Number(arg('runs', '20'));
const ONLY = new Set(arg('only', 'a,b,c').split(','));
const DETECT_TIMEOUT_MS = 15_000;
/** The whole benchmark is bounded: past this it cleans up and exits non-zero. */
const BUDGET_MS = Number(arg('budget-s', String(120 + RUNS * 3 * 12))) * 1000;

const nowUs = () => systemClock.nowUs();

// ---------------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'fw-detect-'));
const suffix = String(process.pid % 100000);
const NS = `fwdb${suffix}`;
const VETH = `fdb${suffix}a`;
const PEER = `fdb${suffix}b`;
let netnsMade = false;
let brainStop: (() => Promise<void>) | undefined;
let cleaned = false;

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  killAll();
  await brainStop?.().catch(() => undefined);
  if (netnsMade) {
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    await run('ip', ['link', 'del', VETH]).catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void cleanup().finally(() => process.exit(130)));
}
const budget = setTimeout(() => {
  console.error(`detection bench: over its ${BUDGET_MS / 1000} s budget; cleaning up`);
  void cleanup().finally(() => process.exit(2));
}, BUDGET_MS);
budget.unref();

interface Sample {
  /** µs from the fault to the alert in floorwatch's brain (EventLog publish, `receivedUs`). */
  fw: number;
  /** µs from the fault to the Alertmanager webhook arriving here. */
  prom: number;
  /** floorwatch breakdown, µs: fault → observed at the edge (event timeUs), edge → brain, brain → alert. */
  fwEdge?: number;
  fwShip?: number;
  fwRules?: number;
  /** Prometheus breakdown, µs: fault → alert active (startsAt, ms precision), active → webhook. */
  promRule: number;
  promNotify: number;
  /** µs from the fault to the incident carrying this alert (its timeline entry: opened, or the alert re-firing), ms stamps. */
  inc?: number;
  incKind?: string;
  /** The fault command's own duration (NIC: the `ip` exec), µs. */
  faultCmdUs?: number;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  // --- the brain, in-process -----------------------------------------------------------------
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\nplant: {health_listen: "127.0.0.1:0"}\n`,
    ),
    silentLogger,
  );
  brainStop = () => brain.stop();
  const seen: BrainEvent[] = [];
  brain.events.subscribe((e) => {
    if (
      e.kind === 'alert.firing' ||
      e.kind === 'process.exit' ||
      e.kind === 'process.start' ||
      e.kind === 'nic.link' ||
      e.kind === 'plant.heartbeat_lost' ||
      e.kind === 'alert.resolved'
    ) {
      seen.push(e);
      if (seen.length > 5000) seen.splice(0, 1000);
    }
  });
  const findEvent = (kind: string, pred: (e: BrainEvent) => boolean, afterUs = 0) =>
    seen.find((e) => e.kind === kind && e.receivedUs >= afterUs && pred(e));
  // The correlator turns the alert into an incident (opened, or the alert joining/re-firing in one);
  // read back its timeline entry (ms stamps, taken before the journal write is durable).
  const incidentFor = (alert: BrainEvent, faultUs: number): { atUs: number; kind: string } | undefined => {
    const name = alert.tags['alertname'];
    const matches = (r: AlertRef) =>
      r.alertname === name && Object.entries(r.labels).every(([k, v]) => alert.tags[k] === undefined || alert.tags[k] === v);
    for (const s of brain.incidents.list({ status: 'active', limit: 1000 })) {
      const inc = brain.incidents.get(s.id);
      if (![...inc.roots, ...inc.symptoms].some(matches)) continue;
      const entry = inc.timeline.find(
        (t) => t.at >= Math.floor(faultUs / 1000) && ['opened', 'root', 'symptom', 'alert', 'merged'].includes(t.kind),
      );
      if (entry) return { atUs: entry.at * 1000, kind: entry.kind };
    }
    return undefined;
  };

  // --- veth pair, one end in a namespace -------------------------------------------------------
  const doNic = ONLY.has('b');
  if (doNic) {
    await run('ip', ['netns', 'add', NS]);
    netnsMade = true;
    await run('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', PEER]);
    await run('ip', ['link', 'set', PEER, 'netns', NS]);
    await run('ip', ['link', 'set', VETH, 'up']);
    await run('ip', ['-n', NS, 'link', 'set', PEER, 'up']);
  }

  // --- the agent (default settings; nic sampler on the veth only) -----------------------------
  const socket = `${dir}/agent.sock`;
  writeFileSync(
    `${dir}/agent.yaml`,
    `agent: {id: bench-host, state_dir: ${dir}/agent, labels: {role: plant}}
brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}
samplers:
  local: {path: ${socket}}
  nic: {include: ["${doNic ? VETH : 'none-such'}"], exclude: []}
`,
  );
  const agent = floorwatch(['agent', '--config', `${dir}/agent.yaml`]);
  await waitFor(
    'agent ready',
    () =>
      agent.lines.some((l) => l.includes('"ready":"agent"')) ||
      (agent.child.exitCode !== null && Promise.reject(new Error(agent.stderr.join('\n')))),
    30_000,
    20,
  );

  // --- Alertmanager, node_exporter, Prometheus, webhook (bench/lib/prom-stack.ts) --------------
  const promStack = await startPromStack({
    dir,
    nodeExporter: true,
    rules: `      - alert: TargetDown
        expr: up{job="target"} == 0
        for: 0s
      - alert: NicDown
        expr: node_network_up{job="node",device="${VETH}"} == 0
        for: 0s
`,
  });
  const { hooks, targetsFile, nodeFile, nodePort, writeSd } = promStack;
  const promQuery = promStack.query;
  console.error(`setup ${(Date.now() - t0) / 1000} s`);

  const results: Record<'a' | 'b' | 'c', Sample[]> = { a: [], b: [], c: [] };
  const misses: Record<'a' | 'b' | 'c', string[]> = { a: [], b: [], c: [] };
  // A random pause before each fault so it lands anywhere in Prometheus's 1 s scrape/eval cycle.
  const dephase = () => sleep(200 + Math.random() * 1000);

  const collect = async (
    kind: 'a' | 'b' | 'c',
    i: number,
    faultUs: number,
    fwAlert: (afterUs: number) => BrainEvent | undefined,
    promKey: string,
    edge: (afterUs: number) => BrainEvent | undefined,
  ): Promise<void> => {
    const [fa, hk] = await Promise.all([
      waitFor(`${kind}${i} floorwatch alert`, () => fwAlert(faultUs), DETECT_TIMEOUT_MS).catch(() => undefined),
      waitFor(`${kind}${i} webhook`, () => hooks.get(promKey)?.find((h) => h.atUs >= faultUs), DETECT_TIMEOUT_MS).catch(() => undefined),
    ]);
    // An alert for these labels before the fault would put Alertmanager on group_interval: say so, drop the run.
    const early = hooks.get(promKey)?.filter((h) => h.atUs < faultUs).length ?? 0;
    if (early) {
      misses[kind].push(`run ${i}: Prometheus fired ${early}× for these labels before the fault (dropped)`);
      return;
    }
    // floorwatch alerting for this target before the fault is a false positive: reported, and the run
    // still counts only if a fresh alert came after the fault.
    const fwEarly = fwAlert(0);
    if (fwEarly && fwEarly.receivedUs < faultUs) {
      misses[kind].push(
        `run ${i}: floorwatch alert ${fwEarly.tags['alertname']} fired ${ms(faultUs - fwEarly.receivedUs)} ms BEFORE the fault (false positive; ${fa ? 'a fresh alert also came after the fault, counted' : 'no fresh alert after it'})`,
      );
    }
    if (!fa) misses[kind].push(`run ${i}: floorwatch alert not seen within ${DETECT_TIMEOUT_MS / 1000} s`);
    if (!hk) misses[kind].push(`run ${i}: Prometheus webhook not seen within ${DETECT_TIMEOUT_MS / 1000} s`);
    if (!fa || !hk) return;
    const e = edge(faultUs);
    const inc = await waitFor(`${kind}${i} incident`, () => incidentFor(fa, faultUs), 2000).catch(() => undefined);
    if (!inc) misses[kind].push(`run ${i}: no incident carrying the alert within 2 s of it`);
    results[kind].push({
      fw: fa.receivedUs - faultUs,
      prom: hk.atUs - faultUs,
      ...(e ? { fwEdge: e.timeUs - faultUs, fwShip: e.receivedUs - e.timeUs, fwRules: fa.receivedUs - e.receivedUs } : {}),
      promRule: hk.startsAtMs * 1000 - faultUs,
      ...(inc ? { inc: inc.atUs - faultUs, incKind: inc.kind } : {}),
      promNotify: hk.atUs - hk.startsAtMs * 1000,
    });
  };

  // --- (a) process death ----------------------------------------------------------------------
  if (ONLY.has('a')) {
    for (let i = 1; i <= RUNS; i++) {
      const name = `pd-${i}`;
      const port = await freePort();
      const wrapper = floorwatch(wrappedArgs({ name, socket, dir }, [process.execPath, '-e', TARGET_JS, String(port)]));
      try {
        await waitFor(
          `${name} listening`,
          async () => (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.ok,
          30_000,
          20,
        );
        writeSd(targetsFile, port, name);
        const started = await waitFor(`${name} process.start`, () => findEvent('process.start', (e) => e.tags['process'] === name), 30_000);
        const pid = Number(started.attrs['pid'] ?? started.values['pid']);
        await waitFor(`${name} up in Prometheus`, async () => (await promQuery(`up{run="${name}"} == 1`)) > 0, 20_000, 100);
        await dephase();
        const fault = nowUs();
        process.kill(pid, 'SIGKILL');
        await collect(
          'a',
          i,
          fault,
          (after) => findEvent('alert.firing', (e) => e.tags['alertname'] === 'ProcessExited' && e.tags['process'] === name, after),
          `TargetDown/${name}`,
          (after) => findEvent('process.exit', (e) => e.tags['process'] === name, after),
        );
      } catch (err) {
        misses.a.push(`run ${i}: ${(err as Error).message}`);
      }
      await stopProc(wrapper);
      process.stderr.write('a');
    }
    writeSd(targetsFile, undefined, '');
  }

  // --- (b) NIC down ---------------------------------------------------------------------------
  if (doNic) {
    for (let i = 1; i <= RUNS; i++) {
      const label = `nic-${i}`;
      try {
        writeSd(nodeFile, nodePort, label);
        await waitFor(
          `${label} link up in Prometheus`,
          async () => (await promQuery(`node_network_up{run="${label}",device="${VETH}"} == 1`)) > 0,
          20_000,
          100,
        );
        // floorwatch: the previous NicLinkDown must be resolved (link up seen) before the next fault.
        await waitFor(
          'NicLinkDown resolved',
          () => {
            const f = seen.filter((e) => e.kind === 'alert.firing' && e.tags['alertname'] === 'NicLinkDown').length;
            const r = seen.filter((e) => e.kind === 'alert.resolved' && e.tags['alertname'] === 'NicLinkDown').length;
            return f === r;
          },
          20_000,
        );
        await dephase();
        const fault = nowUs();
        await run('ip', ['-n', NS, 'link', 'set', PEER, 'down']);
        const faultDone = nowUs();
        await collect(
          'b',
          i,
          fault,
          (after) =>
            findEvent('alert.firing', (e) => e.tags['alertname'] === 'NicLinkDown' && e.tags['interface'] === VETH, Math.max(after, fault)),
          `NicDown/${label}`,
          (after) => findEvent('nic.link', (e) => e.tags['interface'] === VETH && e.attrs['state'] === 'down', after),
        );
        const last = results.b[results.b.length - 1];
        if (last && last.faultCmdUs === undefined) last.faultCmdUs = faultDone - fault;
      } catch (err) {
        misses.b.push(`run ${i}: ${(err as Error).message}`);
      }
      await run('ip', ['-n', NS, 'link', 'set', PEER, 'up']).catch(() => undefined);
      process.stderr.write('b');
    }
  }

  // --- (c) plant heartbeat loss ---------------------------------------------------------------
  if (ONLY.has('c') && brain.plantHealthPort) {
    for (let i = 1; i <= RUNS; i++) {
      const name = `hb-${i}`;
      const port = await freePort();
      const target = start(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'bench/lib/heartbeat-target.ts'),
        String(brain.plantHealthPort),
        name,
        String(port),
      ]);
      try {
        await waitFor(
          `${name} ready`,
          () => target.lines.includes('ready') || (target.child.exitCode !== null && Promise.reject(new Error(target.stderr.join('\n')))),
          30_000,
          20,
        );
        writeSd(targetsFile, port, name);
        await waitFor(`${name} up in Prometheus`, async () => (await promQuery(`up{run="${name}"} == 1`)) > 0, 20_000, 100);
        await dephase();
        const fault = nowUs();
        target.child.kill('SIGKILL');
        await collect(
          'c',
          i,
          fault,
          (after) => findEvent('alert.firing', (e) => e.tags['alertname'] === 'PlantHeartbeatLost' && e.tags['component'] === name, after),
          `TargetDown/${name}`,
          (after) => findEvent('plant.heartbeat_lost', (e) => e.tags['component'] === name, after),
        );
      } catch (err) {
        misses.c.push(`run ${i}: ${(err as Error).message}`);
      }
      await stopProc(target);
      process.stderr.write('c');
    }
    writeSd(targetsFile, undefined, '');
  }
  process.stderr.write('\n');

  // --- report ---------------------------------------------------------------------------------
  const titles = {
    a: '(a) process death (SIGKILL)',
    b: '(b) NIC down (veth peer down)',
    c: '(c) plant heartbeat loss (100 ms heartbeats, SIGKILL)',
  };
  const targets = { a: 250, b: 250, c: 500 };
  console.log(
    `\nDetection latency, fault → alert, ms (${RUNS} runs each; p99 of 20 is the nearest rank = the max). ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.\n`,
  );
  console.log(
    '| fault | n | floorwatch p50 | p99 | max | Prometheus+AM p50 | p99 | max | ratio p50 | ratio p99 | floorwatch target (p99) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const k of ['a', 'b', 'c'] as const) {
    const xs = results[k];
    if (!xs.length) continue;
    const fw = xs.map((x) => x.fw);
    const pr = xs.map((x) => x.prom);
    const r50 = pct(pr, 50) / pct(fw, 50);
    const r99 = pct(pr, 99) / pct(fw, 99);
    const meets = pct(fw, 99) < targets[k] * 1000 && r99 >= 4;
    console.log(
      `| ${titles[k]} | ${xs.length} | ${stat(fw)} | ${stat(pr)} | ${r50.toFixed(1)}× | ${r99.toFixed(1)}× | < ${targets[k]} ms and ≥ 4×: ${meets ? 'met' : 'MISSED'} |`,
    );
  }
  console.log(
    '\nWhere the time goes (each cell p50 / p99 / max, ms; stages come from event stamps, so they need not add up to the totals at p99):\n',
  );
  console.log(
    '| fault | fw: fault → edge event stamped | edge → brain (ship) | brain event → alert (rules) | fault → incident (timeline, ms stamps) | Prom: fault → alert active (eval) | active → webhook (AM) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const k of ['a', 'b', 'c'] as const) {
    const xs = results[k];
    if (!xs.length) continue;
    const col = (f: (s: Sample) => number | undefined) =>
      stat(
        xs.map(f).filter((v): v is number => v !== undefined),
        ' / ',
      );
    const kinds = [...new Set(xs.map((s) => s.incKind).filter(Boolean))].join('/');
    console.log(
      `| ${titles[k]} | ${col((s) => s.fwEdge)} | ${col((s) => s.fwShip)} | ${col((s) => s.fwRules)} | ${col((s) => s.inc)}${kinds ? ` (${kinds})` : ''} | ${col((s) => s.promRule)} | ${col((s) => s.promNotify)} |`,
    );
  }
  const ipx = results.b.map((s) => s.faultCmdUs).filter((v): v is number => v !== undefined);
  if (ipx.length)
    console.log(
      `\n(b) the fault is timed from just before \`ip -n NS link set PEER down\` is spawned; that command took ${stat(ipx)} ms (p50 | p99 | max), counted against both systems.`,
    );
  for (const k of ['a', 'b', 'c'] as const)
    if (misses[k].length) console.log(`\n${titles[k]}: ${misses[k].length} misses:\n${misses[k].map((m) => `- ${m}`).join('\n')}`);
  console.log(
    `\nraw (ms, floorwatch / Prometheus): ${(['a', 'b', 'c'] as const).map((k) => `${k}: ${results[k].map((s) => `${ms(s.fw)}/${ms(s.prom)}`).join(' ')}`).join('; ')}`,
  );
  loopDelay.disable();
  console.log(
    `\nEvent-loop delay of the bench process (the in-process brain's loop): p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms.`,
  );
  console.error(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await Promise.all([promStack.stop(), stopProc(agent)]);
}

await runBench(main, cleanup, budget, dir);
