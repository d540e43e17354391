/**
 * Brain ingest throughput (issue #2): samples/s per core of brain CPU with 1, 100 and 1,000
 * concurrent agent streams, batches of 1,000 samples; memory-only, with the local spool, and
 * with InfluxDB 1.x as the sink (the brain must keep InfluxDB at ≥ 90 % of what a bare
 * line-protocol writer gets from the same server in the same run). Brain RSS is reported.
 *
 *   npm run build && node dist/bench/ingest.bench.js [--seconds 10] [--quick] [--influx-only]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startInfluxd } from '../test/helpers/influxd.js';
import { freePort } from '../test/helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '..', import.meta.dirname.includes('/dist/') ? '..' : '.');
const CLI = join(ROOT, 'dist/cli/floorwatch.js');
const LOADGEN = join(ROOT, 'dist/bench/lib/loadgen.js');
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 0) || 10;
const quick = args.includes('--quick');

interface CaseResult {
  name: string;
  streams: number;
  samples: number;
  seconds: number;
  brainCpuS: number;
  perCore: number;
  perSecond: number;
  rssMb: number;
  ackP99: number;
  forwarded?: number;
  drain?: number;
  bare?: number;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

function firstJsonLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => res(JSON.parse(l) as Record<string, unknown>));
    child.once('exit', (code) => rej(new Error(`exited ${code}`)));
  });
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    request(url, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c));
      r.on('end', () => res(JSON.parse(body) as Record<string, unknown>));
    })
      .on('error', rej)
      .end();
  });
}

async function runCase(name: string, streams: number, storeYaml: string, spool: boolean): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-'));
  const [grpc, http] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'brain.yaml'),
    `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\naccess: {anonymous_read: true}\n${storeYaml}\nspool: {enabled: ${spool}, fsync: true}\nlimits: {max_connections_per_peer: 5000, max_message_bytes: 16777216}\n`,
  );
  const brain = spawn(process.execPath, [CLI, 'brain', '--config', join(dir, 'brain.yaml')], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' },
  });
  await firstJsonLine(brain);
  const cpu0 = cpuSeconds(brain.pid!);
  const health0 = await getJson(`http://127.0.0.1:${http}/api/health`);
  const gen = spawn(
    process.execPath,
    [
      LOADGEN,
      '--brain',
      `127.0.0.1:${grpc}`,
      '--streams',
      String(streams),
      '--batch',
      '1000',
      '--series',
      '100',
      '--seconds',
      String(seconds),
      '--window',
      streams >= 100 ? '2' : '8',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const result = await firstJsonLine(gen);
  const cpu1 = cpuSeconds(brain.pid!);
  const rssMb = peakRssMb(brain.pid!);
  const health1 = await getJson(`http://127.0.0.1:${http}/api/health`);
  const store0 = health0['store'] as Record<string, number>;
  const store1 = health1['store'] as Record<string, number>;
  const drain = storeYaml.includes('influx') ? await drainRate(http) : undefined;
  brain.kill('SIGTERM');
  await new Promise((r) => brain.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const samples = Number(result['samples']);
  const secs = Number(result['seconds']);
  const brainCpuS = cpu1 - cpu0;
  return {
    name,
    streams,
    samples,
    seconds: secs,
    brainCpuS,
    perCore: samples / brainCpuS,
    perSecond: samples / secs,
    rssMb,
    ackP99: Number(result['ack_p99_ms']),
    forwarded: (store1['forwarded_lines'] ?? 0) - (store0['forwarded_lines'] ?? 0),
    ...(drain ? { drain } : {}),
  };
}

/** After the load stops: lines/s the brain forwards from its spool into the store, alone. */
async function drainRate(http: number): Promise<number> {
  const store = async () => (await getJson(`http://127.0.0.1:${http}/api/health`))['store'] as Record<string, number>;
  const start = await store();
  const t0 = Date.now();
  let last = start;
  while (Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 200));
    last = await store();
    if (last['forwarded_lines']! + last['rejected_lines']! >= last['spool_appended_lines']! + last['recovered_lines']!) break;
  }
  return (last['forwarded_lines']! - start['forwarded_lines']!) / ((Date.now() - t0) / 1000);
}

/**
 * A bare line-protocol writer against the same influxd, writing lines of exactly the shape and
 * cardinality the brain writes for `streams` simulated agents: 5,000-line batches, 2 in flight.
 */
async function bareWriter(url: string, db: string, secs: number, streams: number): Promise<number> {
  const until = Date.now() + secs * 1000;
  let points = 0;
  let batch = 0;
  const now = Date.now() * 1000;
  const body = () => {
    const lines: string[] = [];
    const agent = `sim-${batch % streams}`;
    for (let i = 0; i < 5000; i++) {
      const series = i % 100;
      lines.push(
        `bench,agent=${agent},floor=bench,group=${Math.floor(series / 50)},host=${agent} f${series % 50}=${Math.random() * 1000} ${now + batch * 1000 + Math.floor(i / 100)}`,
      );
    }
    batch++;
    return lines.join('\n');
  };
  const post = (path: string, text: string) =>
    new Promise<number>((res, rej) => {
      const req = request(`${url}${path}`, { method: 'POST' }, (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      });
      req.on('error', rej);
      req.end(text);
    });
  if ((await post(`/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, '')) !== 200) throw new Error(`cannot create ${db}`);
  const writer = async () => {
    while (Date.now() < until) {
      const status = await post(`/write?db=${db}&precision=u`, body());
      // Only what InfluxDB stored counts (a 404/400 answers fast and would flatter the writer).
      if (status !== 204) throw new Error(`bare writer: HTTP ${status}`);
      points += 5000;
    }
  };
  const start = Date.now();
  await Promise.all([writer(), writer()]);
  return points / ((Date.now() - start) / 1000);
}

const streamCounts = quick ? [1, 100] : [1, 100, 1000];
const results: CaseResult[] = [];
if (!args.includes('--influx-only')) {
  for (const streams of streamCounts) results.push(await runCase('memory only', streams, 'store: {kind: none}', false));
  for (const streams of streamCounts) results.push(await runCase('local spool (fsync)', streams, 'store: {kind: none}', true));
}
const influx = await startInfluxd({ db: 'bench' });
try {
  for (const streams of [1, 100]) {
    // The machine is shared: a bare-writer run before and after the brain's, averaged.
    const before = await bareWriter(influx.url, `bench_bare_${streams}`, seconds, streams);
    const r = await runCase('spool + InfluxDB 1.6', streams, `store: {kind: influx-v1, url: "${influx.url}", db: bench_${streams}}`, true);
    const after = await bareWriter(influx.url, `bench_bare2_${streams}`, seconds, streams);
    results.push({ ...r, bare: (before + after) / 2 });
  }
} finally {
  await influx.stop();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `\nbrain ingest, batches of 1,000 samples, ${seconds} s per case, machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1]} (${(await import('node:os')).cpus().length} cores)\n`,
);
console.log('| case | streams | samples/s acked | brain CPU s | samples/s per core of brain CPU | ack p99 ms | brain peak RSS MB |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.streams} | ${fmt(r.perSecond)} | ${r.brainCpuS.toFixed(1)} | ${fmt(r.perCore)} | ${r.ackP99.toFixed(1)} | ${r.rssMb.toFixed(0)} |`,
  );
}
console.log(
  '\n| InfluxDB 1.6 as the sink | streams | into InfluxDB during load (lines/s) | spool drain alone (lines/s) | bare writer, same lines (points/s) | drain / bare |',
);
console.log('|---|---|---|---|---|---|');
for (const r of results.filter((x) => x.bare)) {
  console.log(
    `| brain → influxd | ${r.streams} | ${fmt((r.forwarded ?? 0) / r.seconds)} | ${fmt(r.drain ?? 0)} | ${fmt(r.bare!)} | ${((r.drain ?? 0) / r.bare!).toFixed(2)} |`,
  );
}
process.exit(0);
