/**
 * Where the agent's cost goes (issue #3): several agents side by side in ONE run against one
 * brain, each with one sampler (or none, or all), so a sampler's cost is its agent's CPU minus
 * the bare agent's under the same machine load. Per agent: CPU (% of one core, scheduler time
 * of all threads), wakeups (context switches of all threads per second) and RSS. A log sampler
 * gets its own file growing 10 lines/s with the 5 rules of agent.bench.ts; `idle` is `all` with
 * its log watched but never written (the idle host).
 *
 *   npm run build && node dist/bench/agent-parts.bench.js [--seconds 60] [--warmup 30]
 *     [--variants none,nic,memory,local,process,log,all,idle[,idle@/path/to/other/dist/cli/floorwatch.js]]
 *
 * `variant@cli` runs that agent from another build (a checkout of an older commit), so before
 * and after are measured side by side under the same machine load; the brain is always ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/wait.js';
import { BENCH_SAMPLERS, samplerYaml } from './lib/agent-samplers.js';

const ROOT = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../..' : '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const seconds = Number(option('--seconds', '60'));
const warmup = Number(option('--warmup', '30'));
const cli = join(ROOT, 'dist/cli/floorwatch.js');
const ALL = BENCH_SAMPLERS;
const variants = option('--variants', ['none', ...ALL, 'all'].join(','))
  .split(',')
  .map((v) => {
    const [name, other] = v.split('@') as [string, string | undefined];
    return { name, label: other ? `${name} (${other})` : name, cli: other ? resolve(other) : cli };
  });

/** Sum over all threads of a per-thread /proc counter. */
function perThread(pid: number, read: (taskDir: string) => number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += read(`/proc/${pid}/task/${tid}`);
    } catch {
      // thread ended between readdir and read
    }
  }
  return total;
}
const cpuSeconds = (pid: number) => perThread(pid, (d) => Number(readFileSync(`${d}/schedstat`, 'utf8').split(' ')[0])) / 1e9;
const switches = (pid: number) =>
  perThread(pid, (d) => {
    const s = readFileSync(`${d}/status`, 'utf8');
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]);
  });
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const dir = mkdtempSync(join(tmpdir(), 'fw-agent-parts-'));
const [grpc, http] = [await freePort(), await freePort()];
writeFileSync(join(dir, 'brain.yaml'), `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\n`);
const env = { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' };
const brain = spawn(process.execPath, [cli, 'brain', '-c', join(dir, 'brain.yaml')], { stdio: 'ignore', env });
await new Promise((r) => setTimeout(r, 1500));

const agents: { label: string; child: ChildProcess; logFile: string | undefined }[] = variants.map(({ name, label, cli: agentCli }, i) => {
  const own = join(dir, `agent-${i}`);
  mkdirSync(own);
  const samplers: readonly string[] = name === 'all' || name === 'idle' ? ALL : name === 'none' ? [] : [name];
  const logFile = samplers.includes('log') ? join(own, 'app.log') : undefined;
  if (logFile) writeFileSync(logFile, '');
  const sections = samplers.map((s) => samplerYaml(s, { socket: `${own}/agent.sock`, logFile: logFile ?? '' })).join('\n') || '  {}';
  writeFileSync(
    join(own, 'agent.yaml'),
    `agent: {id: parts-${i}-${name}, state_dir: ${own}/state}\nbrain: {addresses: ["127.0.0.1:${grpc}"]}\ninterval_ms: 1000\nsamplers:\n${sections}\n`,
  );
  const child = spawn(process.execPath, [agentCli, 'agent', '-c', join(own, 'agent.yaml')], { stdio: 'ignore', env });
  return { label, child, logFile: name === 'idle' ? undefined : logFile };
});

// A trickle of application log lines (10/s), as in agent.bench.ts.
const logTimer = setInterval(() => {
  const line = `2026-11-23 08:00:00.000 [INFO] fix: 8=FIX.4.4|35=0|latency_us=${Math.floor(Math.random() * 900)}|\n`;
  for (const a of agents) if (a.logFile) appendFileSync(a.logFile, line);
}, 100);

await new Promise((r) => setTimeout(r, warmup * 1000));
const before = agents.map((a) => ({ cpu: cpuSeconds(a.child.pid!), switches: switches(a.child.pid!) }));
const t0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsed = (Date.now() - t0) / 1000;
const rows = agents.map((a, i) => ({
  name: a.label,
  sampler: variants[i]!.name,
  cli: variants[i]!.cli,
  cpu: ((cpuSeconds(a.child.pid!) - before[i]!.cpu) / elapsed) * 100,
  wakeups: (switches(a.child.pid!) - before[i]!.switches) / elapsed,
  rss: rssMb(a.child.pid!),
}));
clearInterval(logTimer);
for (const a of agents) a.child.kill('SIGTERM');
await Promise.all(agents.map((a) => new Promise((r) => (a.child.exitCode !== null ? r(null) : a.child.once('exit', r)))));
brain.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 500));
rmSync(dir, { recursive: true, force: true });

console.log(
  `\nagent parts, ${elapsed.toFixed(0)} s after a ${warmup} s warm-up, one run, ${cpus().length} cores (${cpus()[0]?.model}), ${cli}\n`,
);
console.log('| agent with | CPU % of one core | above the bare agent of its build | wakeups/s | RSS MB |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const bare = rows.find((b) => b.sampler === 'none' && b.cli === r.cli);
  const above = bare && r !== bare ? `+${(r.cpu - bare.cpu).toFixed(2)}` : '';
  console.log(`| ${r.name} | ${r.cpu.toFixed(2)} | ${above} | ${r.wakeups.toFixed(1)} | ${r.rss.toFixed(0)} |`);
}
process.exit(0);
