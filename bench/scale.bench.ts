/**
 * Scale (issue #7): one brain under 100, 1,000 and 5,000 simulated workstation agents, each
 * streaming the 50 series a real agent sends, once a second, over the real gRPC wire (one
 * connection per agent, from a few load-generator processes: bench/lib/loadgen.ts --mix floor).
 * For each size, after every agent is connected and a warm-up:
 *  - brain CPU (% of one core: scheduler time of all threads of the brain's process) and RSS;
 *  - ingest lag: sample time → the sample stored in the brain's series table, from a probe
 *    agent sending one wall-clock-stamped sample every 50 ms (the brain side notes the moment
 *    the probe series' time is assigned);
 *  - detection latency for a killed primary feed handler under that load: a process sending
 *    the plant's real health heartbeat to the brain's plant health port
 *    (bench/lib/heartbeat-target.ts) is SIGKILLed; fault → PlantHeartbeatLost alert in the brain.
 * The brain runs in this process (as in bench/detection.bench.ts) with its default rules and
 * durable spool, so its CPU and RSS include this harness's small share (the probe watch and
 * the detection bookkeeping).
 *
 * Run (root not needed; numbers published from a quiet machine):
 *   node [--max-semi-space-size=32] --import tsx bench/scale.bench.ts
 *   [--agents 100,1000,5000] [--seconds 30] [--kills 20] [--per-process 1000] [--spool true] [--flush-s 1] [--profile DIR] [--hogs 0] [--lost-confirm-ms 0] [--worker false]
 * `--hogs N` runs N busy-looping processes beside the brain and the load generators for the
 * whole run (other work on the same cores: the issue-#15 condition).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseBrainConfig } from '../brain/config.js';
import { startBrain, type BrainHandle } from '../brain/main.js';
import type { BrainEvent } from '../brain/state/event-log.js';
import type { BrainSeries } from '../brain/state/series-table.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/log.js';
import { freePort, waitFor } from '../test/helpers/wait.js';
import { cpuSeconds, peakRssMb, rssMb } from './lib/proc-stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const SIZES = arg('agents', '100,1000,5000').split(',').map(Number);
const MEASURE_S = Number(arg('seconds', '30'));
const KILLS = Number(arg('kills', '20'));
const PER_PROCESS = Number(arg('per-process', '1000'));
const SPOOL = arg('spool', 'true') === 'true';
/** Seconds of samples per agent batch: the agents' `flush_ms` / 1000 (default 1). */
const FLUSH_S = Number(arg('flush-s', '1'));
/** Where to write a CPU profile of the brain's steady window, one per size (open in Chrome DevTools). */
const PROFILE_DIR = arg('profile', '');
/**
 * The brain's confirmation window for a lost heartbeat (`plant.lost_confirm_ms`, default 2 s since
 * #19: a stalled component is not paged). 0 here by default, so detection measures the alerting
 * path itself (the kill → missed heartbeats → alert), as this table did before the window existed.
 */
const LOST_CONFIRM_MS = Number(arg('lost-confirm-ms', '0'));
/** `ingest.worker`: agents' streams read on a worker thread (the alerting loop apart). */
const WORKER = arg('worker', 'false') === 'true';
/** CPU hogs (busy loops) running beside the brain and the load generators for the whole run. */
const HOGS = Number(arg('hogs', '0'));
const WARMUP_S = 10;
const PROBE_HZ = 20;
const DETECT_TIMEOUT_MS = 10_000;

const children = new Set<ChildProcess>();
/** `output` resolves with every line the child printed, once its stdout is closed. */
function spawnTracked(args: string[]): { child: ChildProcess; lines: string[]; output: Promise<string[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const output = new Promise<string[]>((resolve) => reader.once('close', () => resolve(lines)));
  return { child, lines, output };
}
function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  return exited;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ingest lag without polling: the probe series' `lastUs` becomes an accessor, so the moment
 * the session assigns a probe sample's time (its store into the series table) is noted.
 */
function watchProbe(series: BrainSeries, lagsUs: number[]): void {
  let lastUs = series.lastUs;
  Object.defineProperty(series, 'lastUs', {
    get: () => lastUs,
    set: (t: number) => {
      lastUs = t;
      // The probe stamps with the same expression: both read the kernel's wall clock at µs.
      if (lagsUs.length < 1_000_000) lagsUs.push((performance.timeOrigin + performance.now()) * 1000 - t);
    },
  });
}

/** Profiles this process (the brain) from now until the returned function writes the profile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((res, rej) => session.post(method, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

interface Result {
  agents: number;
  samplesPerS: number;
  cpuPct: number;
  rssMb: number;
  peakRssMb: number;
  /** V8 heap in use, and memory outside it (Buffers, ArrayBuffers), at the end of the window. */
  heapMb: number;
  externalMb: number;
  lagMs: { p50: number; p99: number; max: number; n: number };
  detectMs: { p50: number; p99: number; max: number; n: number; misses: string[] };
  loopP99Ms: number;
  loadgenCpuPct: number;
  ackP99Ms: number;
  connectS: number;
  /** alert.firing by alertname from the start of the steady window to the end (kills included). */
  alerts: Record<string, number>;
  /** The machine's 1-minute load average at the end of the steady window (others' work included). */
  machineLoad: number;
  /** Simulated agents (the probe not counted) connected at the end of the steady window. */
  connected: number;
}

/** Kills a heartbeating stand-in feed handler `kills` times; fault → PlantHeartbeatLost alert, µs. */
async function detection(brain: BrainHandle, size: number, kills: number): Promise<{ latencies: number[]; misses: string[] }> {
  const latencies: number[] = [];
  const misses: string[] = [];
  const lost = new Map<string, BrainEvent>();
  const unsubscribe = brain.events.subscribe((e) => {
    if (e.kind === 'alert.firing' && e.tags['alertname'] === 'PlantHeartbeatLost' && e.tags['component']) lost.set(e.tags['component'], e);
  });
  for (let i = 1; i <= kills; i++) {
    const name = `fh-a-${size}-${i}`;
    const target = spawnTracked(['bench/lib/heartbeat-target.ts', String(brain.plantHealthPort), name, String(await freePort())]);
    try {
      await waitFor(`${name} ready`, () => target.lines.includes('ready'), { timeoutMs: 30_000 });
      // A full scan of the series table: polled slowly, and well before the fault.
      await waitFor(`${name} heard by the brain`, () => [...brain.series.select({ agentId: `plant:${name}` })].length > 0, {
        timeoutMs: 10_000,
        everyMs: 100,
      });
      // Random phase against the heartbeat period and the load's own rhythm.
      await sleep(200 + Math.random() * 1000);
      const fault = systemClock.nowUs();
      target.child.kill('SIGKILL');
      const alert = await waitFor(`${name} PlantHeartbeatLost`, () => lost.get(name), { timeoutMs: DETECT_TIMEOUT_MS, everyMs: 5 });
      latencies.push(alert.receivedUs - fault);
      process.stderr.write(`k${Math.round((alert.receivedUs - fault) / 1000)} `);
    } catch (err) {
      misses.push(`kill ${i}: ${(err as Error).message}`);
      process.stderr.write('k- ');
    }
    await stop(target.child, 'SIGKILL');
  }
  unsubscribe();
  process.stderr.write('\n');
  return { latencies, misses };
}

/** The state dir goes whatever happens, so a failed run leaves nothing in /tmp. */
async function runSize(size: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-scale-'));
  try {
    return await measureSize(size, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureSize(size: number, dir: string): Promise<Result> {
  const brain = await startBrain(
    parseBrainConfig(
      [
        `brain: {state_dir: ${dir}/brain}`,
        'listen: 127.0.0.1:0',
        'http: 127.0.0.1:0',
        `spool: {enabled: ${SPOOL}, fsync: true}`,
        ...(WORKER ? ['ingest: {worker: true}'] : []),
        `plant: {health_listen: "127.0.0.1:0", lost_confirm_ms: ${LOST_CONFIRM_MS}}`,
        // Every simulated agent connects from 127.0.0.1: one peer, thousands of connections.
        `limits: {max_connections_per_peer: ${size + 100}, max_connections: ${size + 100}}`,
        '',
      ].join('\n'),
    ),
    silentLogger,
  );
  const processes = Math.ceil(size / PER_PROCESS);
  const rampS = Math.max(2, Math.ceil(size / 500));
  const gens = Array.from({ length: processes }, (_, p) =>
    spawnTracked([
      'bench/lib/loadgen.ts',
      ...[
        '--brain',
        `127.0.0.1:${brain.grpcPort}`,
        '--mix',
        'floor',
        '--rate',
        String(1 / FLUSH_S),
        '--ticks',
        String(FLUSH_S),
        '--window',
        '8',
      ],
      ...['--streams', String(Math.floor(size / processes) + (p < size % processes ? 1 : 0)), '--prefix', `ws${p}`],
      ...['--ramp', String(rampS), '--seconds', '100000', '--probe-hz', p === 0 ? String(PROBE_HZ) : '0'],
    ]),
  );
  const t0 = Date.now();
  let shown = 0;
  // A brain that cannot take them all is measured with those it took (the table says how many).
  await waitFor(
    `${size} agents connected`,
    () => {
      if (Date.now() - shown > 5000) {
        shown = Date.now();
        process.stderr.write(`[${brain.agents.connectedCount} connected] `);
        void brain.metrics.render().then((text) =>
          process.stderr.write(
            text
              .split('\n')
              .filter((l) => l.includes('refused') && !l.startsWith('#'))
              .join(' '),
          ),
        );
      }
      return brain.agents.connectedCount >= size + 1;
    },
    { timeoutMs: 60_000 + size * 20, everyMs: 200 },
  ).catch((err: Error) => console.error(`\n${err.message}: measuring with ${brain.agents.connectedCount - 1}`));
  const connectS = (Date.now() - t0) / 1000;
  const probe = [...brain.series.select({ agentId: 'ws0-probe', measurement: 'probe' })][0];
  if (!probe) throw new Error('probe series not declared');
  const lagsUs: number[] = [];
  watchProbe(probe, lagsUs);
  await sleep(WARMUP_S * 1000);

  // --- steady load: CPU, RSS, rate, lag ---
  lagsUs.length = 0;
  // A steady floor raises nothing: every alert but the kills' is reported.
  const alerts = new Map<string, number>();
  const countAlerts = brain.events.subscribe((e) => {
    if (e.kind === 'alert.firing') alerts.set(e.tags['alertname'] ?? '?', (alerts.get(e.tags['alertname'] ?? '?') ?? 0) + 1);
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const samples = () => [...brain.agents.all()].reduce((n, a) => n + a.samplesReceived, 0);
  const genCpu = () => gens.reduce((n, g) => n + cpuSeconds(g.child.pid!), 0);
  const profiler = PROFILE_DIR ? await startProfile() : undefined;
  const [cpu0, gen0, n0, m0] = [cpuSeconds(process.pid), genCpu(), samples(), performance.now()];
  await sleep(MEASURE_S * 1000);
  await profiler?.(join(PROFILE_DIR, `brain-${size}.cpuprofile`));
  const [cpu1, gen1, n1, m1] = [cpuSeconds(process.pid), genCpu(), samples(), performance.now()];
  const secs = (m1 - m0) / 1000;
  const rss = rssMb(process.pid);
  const memory = process.memoryUsage();
  const connected = brain.agents.connectedCount - 1;
  const machineLoad = loadavg()[0]!;
  const lagsMs = lagsUs.splice(0).map((us) => us / 1000);
  // The steady window's figures now, so a run stopped during the kills still says them.
  process.stderr.write(
    `\nsteady: ${Math.round((n1 - n0) / secs)} samples/s, loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, ` +
      `lag p50/p99 ${pct(lagsMs, 50).toFixed(1)}/${pct(lagsMs, 99).toFixed(1)} ms, RSS ${Math.round(rss)} MB (peak ${Math.round(peakRssMb(process.pid))}), ` +
      `brain CPU ${Math.round(((cpu1 - cpu0) / secs) * 100)} %, connected ${connected}, load ${machineLoad.toFixed(1)}\nkills: `,
  );

  // --- the fault under the same load ---
  const det = await detection(brain, size, KILLS);
  loop.disable();
  countAlerts();
  const acks = await Promise.all(
    gens.map((g) =>
      stop(g.child)
        .then(() => g.output)
        .then((lines) => JSON.parse(lines.at(-1) ?? '{}') as { ack_p99_ms?: number }),
    ),
  );
  const result: Result = {
    agents: size,
    samplesPerS: (n1 - n0) / secs,
    cpuPct: ((cpu1 - cpu0) / secs) * 100,
    rssMb: rss,
    peakRssMb: peakRssMb(process.pid),
    heapMb: memory.heapUsed / 2 ** 20,
    externalMb: memory.external / 2 ** 20,
    lagMs: { p50: pct(lagsMs, 50), p99: pct(lagsMs, 99), max: Math.max(...lagsMs), n: lagsMs.length },
    detectMs: { ...summary(det.latencies.map((us) => us / 1000)), misses: det.misses },
    loopP99Ms: loop.percentile(99) / 1e6,
    loadgenCpuPct: ((gen1 - gen0) / secs) * 100,
    ackP99Ms: Math.max(...acks.map((a) => a.ack_p99_ms ?? NaN)),
    connectS,
    alerts: Object.fromEntries(alerts),
    machineLoad,
    connected,
  };
  await brain.stop();
  return result;
}

function summary(xs: number[]): { p50: number; p99: number; max: number; n: number } {
  return { p50: pct(xs, 50), p99: pct(xs, 99), max: xs.length ? Math.max(...xs) : NaN, n: xs.length };
}

const results: Result[] = [];
for (let i = 0; i < HOGS; i++) {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  children.add(hog);
  hog.once('exit', () => children.delete(hog));
}
try {
  for (const size of SIZES) {
    process.stderr.write(`${size} agents: `);
    results.push(await runSize(size));
    console.error(JSON.stringify(results.at(-1)));
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
console.log(
  `\nScale: one brain (in-process, default rules, spool ${SPOOL ? 'on, fdatasync before ack' : 'off'}, ingest ${WORKER ? 'on a worker thread' : 'on the main thread'}), N agents × 50 series at 1 Hz over gRPC on loopback, a batch every ${FLUSH_S} s; ` +
    `${MEASURE_S} s measured after ${WARMUP_S} s warm-up; ${KILLS} feed-handler kills per size (plant.lost_confirm_ms ${LOST_CONFIRM_MS}); ${HOGS} CPU hog${HOGS === 1 ? '' : 's'} beside. ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.\n`,
);
console.log(
  '| agents (connected) | samples/s stored | brain CPU % of a core | brain RSS MB (peak) [heap, external] | ingest lag p50 / p99 / max ms | detection p50 / p99 / max ms (n) | brain loop delay p99 ms | ack p99 ms | load generators CPU % | connect s | machine load (1 min) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${f0(r.agents)} (${f0(r.connected)}) | ${f0(r.samplesPerS)} | ${f0(r.cpuPct)} | ${f0(r.rssMb)} (${f0(r.peakRssMb)}) [${f0(r.heapMb)}, ${f0(r.externalMb)}] | ${f1(r.lagMs.p50)} / ${f1(r.lagMs.p99)} / ${f1(r.lagMs.max)} | ` +
      `${f1(r.detectMs.p50)} / ${f1(r.detectMs.p99)} / ${f1(r.detectMs.max)} (${r.detectMs.n}) | ${f1(r.loopP99Ms)} | ${f1(r.ackP99Ms)} | ${f0(r.loadgenCpuPct)} | ${f1(r.connectS)} | ${f1(r.machineLoad)} |`,
  );
}
const at = (n: number) => results.find((r) => r.agents === n);
const big = at(5000);
if (big) {
  const met = big.samplesPerS >= 0.95 * 250_000 && big.lagMs.p99 < 1000 && big.peakRssMb < 1024;
  console.log(
    `\n5,000 agents: ${f0(big.samplesPerS)} samples/s (target 250,000), lag p99 ${f1(big.lagMs.p99)} ms (< 1,000), peak RSS ${f0(big.peakRssMb)} MB (< 1,024): ${met ? 'met' : 'MISSED'}.`,
  );
}
const thousand = at(1000);
if (thousand)
  console.log(
    `1,000 agents: detection p99 ${f1(thousand.detectMs.p99)} ms (target < 1,000): ${thousand.detectMs.p99 < 1000 && !thousand.detectMs.misses.length ? 'met' : 'MISSED'}.`,
  );
for (const r of results) console.log(`${f0(r.agents)} agents, alerts fired (steady window and kills): ${JSON.stringify(r.alerts)}`);
for (const r of results)
  if (r.detectMs.misses.length)
    console.log(`\n${r.agents} agents, detection misses:\n${r.detectMs.misses.map((m) => `- ${m}`).join('\n')}`);
process.exit(0);
