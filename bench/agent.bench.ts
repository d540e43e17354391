/**
 * Agent cost on an idle host (issue #3): our agent with all four samplers at 1 s (NIC + bond
 * watch, memory/disk, process watches, a tailed log with 5 rules, plus the local socket),
 * streaming to a brain, side by side in ONE run with Debian's prometheus-node-exporter scraped
 * every second and collectd at a 1 s interval. CPU is % of one core (scheduler time, all threads),
 * RSS is VmRSS at the end.
 *
 *   npm run build && node dist/bench/agent.bench.js [--seconds 60] [--warmup 30] [--log-lines-per-s 10]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/wait.js';
import { cpuSeconds, rssMb } from './lib/proc-stats.js';
import { samplersYaml } from './lib/agent-samplers.js';

const ROOT = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../..' : '..');
const CLI = join(ROOT, 'dist/cli/floorwatch.js');
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 0) || 60;

function ensure(bin: string, pkg: string): boolean {
  if (existsSync(bin)) return true;
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return existsSync(bin);
}

function started(child: ChildProcess, what: string): Promise<void> {
  return new Promise((res, rej) => {
    const t = setTimeout(res, 1500); // daemons that print nothing: give them a moment to settle
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`${what} exited ${code}`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'fw-agent-bench-'));
const [grpc, http, nodeExporterPort] = [await freePort(), await freePort(), await freePort()];
const procs: { name: string; child: ChildProcess; note: string }[] = [];

// The brain (not measured) and our agent.
writeFileSync(join(dir, 'brain.yaml'), `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\n`);
const brain = spawn(process.execPath, [CLI, 'brain', '-c', join(dir, 'brain.yaml')], {
  stdio: 'ignore',
  env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' },
});
await started(brain, 'brain');
/**
 * Two agents with the same four samplers: one on an idle host as the issue defines it (its log
 * watched, nothing written), one whose log gets a trickle of lines, as an idle trading app
 * writes (10/s by default, --log-lines-per-s).
 */
const linesPerS = Number(args[args.indexOf('--log-lines-per-s') + 1] ?? 0) || 10;
async function startAgent(name: string): Promise<string> {
  const logFile = join(dir, `${name}.log`);
  writeFileSync(logFile, '');
  writeFileSync(
    join(dir, `${name}.yaml`),
    `agent: {id: ${name}, state_dir: ${dir}/${name}}
brain: {addresses: ["127.0.0.1:${grpc}"]}
interval_ms: 1000
${samplersYaml({ socket: `${dir}/${name}.sock`, logFile })}`,
  );
  const agent = spawn(process.execPath, [CLI, 'agent', '-c', join(dir, `${name}.yaml`)], {
    stdio: 'ignore',
    env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' },
  });
  await started(agent, `floorwatch agent ${name}`);
  const what = 'floorwatch agent (nic+bond watch, memory/disk, 3 process watches, log with 5 rules, local socket)';
  procs.push({ name: what, child: agent, note: name === 'idle' ? '1 s interval, its log idle' : `1 s interval, ${linesPerS} log lines/s` });
  return logFile;
}
await startAgent('idle');
const busyLog = await startAgent('trickle');
const logTimer = setInterval(
  () => appendFileSync(busyLog, `2026-11-23 08:00:00.000 [INFO] fix: 8=FIX.4.4|35=0|latency_us=${Math.floor(Math.random() * 900)}|\n`),
  1000 / linesPerS,
);

let scrapes = 0;
if (ensure('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter')) {
  const ne = spawn('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nodeExporterPort}`], { stdio: 'ignore' });
  await started(ne, 'node_exporter');
  procs.push({ name: 'prometheus-node-exporter (Debian, default collectors)', child: ne, note: 'scraped every 1 s' });
}
const scrapeTimer = setInterval(() => {
  request(`http://127.0.0.1:${nodeExporterPort}/metrics`, (r) => {
    r.resume();
    r.on('end', () => scrapes++);
  })
    .on('error', () => {})
    .end();
}, 1000);

if (ensure('/usr/sbin/collectd', 'collectd-core')) {
  const conf = join(dir, 'collectd.conf');
  writeFileSync(
    conf,
    `Interval 1\nBaseDir "${dir}/collectd"\nPIDFile "${dir}/collectd.pid"\nPluginDir "/usr/lib/collectd"\nTypesDB "/usr/share/collectd/types.db"\n` +
      `LoadPlugin cpu\nLoadPlugin memory\nLoadPlugin interface\nLoadPlugin disk\nLoadPlugin vmem\nLoadPlugin processes\nLoadPlugin csv\n<Plugin csv>\n  DataDir "${dir}/collectd/csv"\n</Plugin>\n`,
  );
  const cd = spawn('/usr/sbin/collectd', ['-f', '-C', conf], { stdio: 'ignore' });
  await started(cd, 'collectd');
  procs.push({ name: 'collectd (Debian; cpu, memory, interface, disk, vmem, processes → csv)', child: cd, note: '1 s interval' });
}

// Steady state, not start-up: V8 compiles and optimises in the first tens of seconds.
const warmup = Number(args[args.indexOf('--warmup') + 1] ?? 0) || 30;
await new Promise((r) => setTimeout(r, warmup * 1000));
const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!));
const t0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsed = (Date.now() - t0) / 1000;
const rows = procs.map((p, i) => ({ ...p, cpu: ((cpuSeconds(p.child.pid!) - cpu0[i]!) / elapsed) * 100, rss: rssMb(p.child.pid!) }));
clearInterval(logTimer);
clearInterval(scrapeTimer);
for (const p of procs) p.child.kill('SIGTERM');
brain.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 500));
rmSync(dir, { recursive: true, force: true });

const ours = rows[0]!; // the agent on an idle host
console.log(
  `\nagent cost on an idle host, ${elapsed.toFixed(0)} s after a ${warmup} s warm-up, one run, ${cpus().length} cores (${cpus()[0]?.model})\n`,
);
console.log('| process | setting | CPU % of one core | RSS MB | CPU vs floorwatch |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.name} | ${r.note} | ${r.cpu.toFixed(2)} | ${r.rss.toFixed(0)} | ${(r.cpu / ours.cpu).toFixed(2)}× |`);
console.log(`\nnode_exporter scrapes completed: ${scrapes}`);
process.exit(0);
