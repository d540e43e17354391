/**
 * The whole agent on a log, end to end (issue #12): the real `floorwatch agent` process reads a
 * generated 2,000,000-line trading log from its first byte (tail, split, 5 rules, batch, disk
 * queue, gRPC to a brain) and its CPU time (user+system of the process, all threads, start-up
 * included) is compared with `mtail -one_shot` on the same file with the same six regexes, in
 * the same run. Done is when the brain has the agent's counters equal to grep's counts of the
 * same lines and the agent's `lines` for the file equal to the file's. The brain (not measured)
 * runs as its own process. A second agent on an empty log gives the start-up cost alone.
 *
 *   npm run build && node dist/bench/log-agent.bench.js [lines] [--agent-cli other/dist/cli/floorwatch.js]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SpoolTail } from '../test/helpers/spool-tail.js';
import { freePort } from '../test/helpers/wait.js';
import { peakRssMb } from './lib/proc-stats.js';
import { MTAIL_VERSION, RULES_YAML, generate, runMtail } from './lib/trading-log.js';

const ROOT = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../..' : '..');
const argv = process.argv.slice(2);
/** `--agent-cli <path>`: the agent from another build (an older commit), the brain stays ours. */
const AGENT_CLI = argv.includes('--agent-cli') ? resolve(argv[argv.indexOf('--agent-cli') + 1]!) : join(ROOT, 'dist/cli/floorwatch.js');
const CLI = join(ROOT, 'dist/cli/floorwatch.js');
/** `--cpu-prof <dir>`: the reading agent writes a V8 CPU profile there (open it in Chrome DevTools). */
const PROF_DIR = argv.includes('--cpu-prof') ? resolve(argv[argv.indexOf('--cpu-prof') + 1]!) : undefined;
const LINES = Number(argv.find((a) => /^\d+$/.test(a)) ?? 2_000_000);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of a process over its life, every thread (dead ones too): utime+stime. */
function processCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function grepCount(args: string[], file: string): number {
  try {
    return Number(execFileSync('grep', ['-c', ...args, file], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // grep exits 1 on no match
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'fw-bench-log-agent-'));
const children: ChildProcess[] = [];
try {
  const log = join(dir, 'trading.log');
  generate(log, LINES);
  const bytes = statSync(log).size;
  const want = {
    newOrders: grepCount(['-F', '|35=D|'], log),
    errors: grepCount(['-E', '\\[(ERROR|FATAL)\\] [A-Za-z0-9_]+:'], log),
  };
  console.log(
    `log: ${LINES.toLocaleString()} lines, ${(bytes / 1e6).toFixed(0)} MB; grep: new_orders ${want.newOrders}, errors ${want.errors}`,
  );

  const [grpc, http] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'brain.yaml'),
    `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\nspool: {fsync: false}\n`,
  );
  const brain = spawn(process.execPath, [CLI, 'brain', '-c', join(dir, 'brain.yaml')], {
    stdio: 'ignore',
    env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' },
  });
  children.push(brain);
  await sleep(1500);

  const agentYaml = (name: string, file: string): string => {
    const section = `files: ["${file}"]\nstartAt: beginning\n${RULES_YAML.trim()}\n`;
    const text = `agent: {id: ${name}, state_dir: ${dir}/${name}}\nbrain: {addresses: ["127.0.0.1:${grpc}"]}\ninterval_ms: 1000\nsamplers:\n  log:\n${section
      .split('\n')
      .map((l) => (l ? `    ${l}` : l))
      .join('\n')}`;
    writeFileSync(join(dir, `${name}.yaml`), text);
    return join(dir, `${name}.yaml`);
  };
  const startAgent = (name: string, file: string, nodeArgs: string[] = []): { child: ChildProcess; ready: Promise<number> } => {
    const child = spawn(process.execPath, [...nodeArgs, AGENT_CLI, 'agent', '-c', agentYaml(name, file)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'error' },
    });
    children.push(child);
    const t0 = performance.now();
    const ready = new Promise<number>((res) =>
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('"ready"')) res((performance.now() - t0) / 1000);
      }),
    );
    return { child, ready };
  };

  // Start-up alone: the same agent on an empty log.
  writeFileSync(join(dir, 'empty.log'), '');
  const idle = startAgent('startup', join(dir, 'empty.log'));
  await idle.ready;
  await sleep(1000);
  const startupCpu = processCpu(idle.child.pid!);
  idle.child.kill('SIGTERM');

  // The run: the agent reads the whole log from its first byte.
  const spool = new SpoolTail(join(dir, 'brain/spool'));
  const latest = new Map<string, number>();
  const sample = /^(log_rule|log_file),(\S+) (\w+)=([\d.]+)/gm;
  const poll = () =>
    spool.poll((text) => {
      for (const m of text.matchAll(sample))
        if (!m[2]!.includes('file=') || m[2]!.includes(log)) latest.set(`${m[1]},${m[2]} ${m[3]}`, Number(m[4]));
    });
  const sum = (pred: (key: string) => boolean) => [...latest].filter(([k]) => pred(k)).reduce((n, [, v]) => n + v, 0);
  const got = () => ({
    newOrders: sum((k) => k.includes('rule=new_orders') && k.endsWith(' matches')),
    errors: sum((k) => k.includes('rule=errors') && k.endsWith(' matches')),
    lines: sum((k) => k.startsWith('log_file,') && k.endsWith(' lines')),
  });
  const wall0 = performance.now();
  const run = startAgent('reader', log, PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : []);
  const readyAfter = await run.ready;
  const readyCpu = processCpu(run.child.pid!);
  let doneCpu = 0;
  for (;;) {
    poll();
    const g = got();
    if (g.lines >= LINES && g.newOrders === want.newOrders && g.errors === want.errors) {
      doneCpu = processCpu(run.child.pid!);
      break;
    }
    if (performance.now() - wall0 > 600_000) throw new Error(`agent did not finish in 10 min: ${JSON.stringify(g)}`);
    await sleep(50);
  }
  const wall = (performance.now() - wall0) / 1000;
  const rss = peakRssMb(run.child.pid!);
  const final = got();
  const exited = new Promise((r) => run.child.once('exit', r));
  run.child.kill('SIGTERM');
  if (PROF_DIR) await exited; // the profile is written at exit

  const m = runMtail(dir, log);
  const perM = (cpu: number) => cpu / (LINES / 1e6);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(`agent: ${AGENT_CLI}`);
  console.log(`floorwatch agent start-up alone (empty log, 1 s after ready): ${startupCpu.toFixed(2)} CPU s`);
  console.log(
    `floorwatch agent end to end: ${doneCpu.toFixed(2)} CPU s (${perM(doneCpu).toFixed(2)} per million lines; ` +
      `${perM(doneCpu - startupCpu).toFixed(2)} without start-up), wall ${wall.toFixed(1)} s (ready after ${readyAfter.toFixed(1)} s at ${readyCpu.toFixed(2)} CPU s), peak RSS ${rss.toFixed(0)} MB; ` +
      `at the brain: lines ${final.lines}, new_orders ${final.newOrders}, errors ${final.errors} (= grep)`,
  );
  if (typeof m === 'string') console.log(m);
  else {
    const counted = /"Name": "new_orders"[\s\S]*?"Value": (\d+)/.exec(m.output)?.[1];
    console.log(
      `mtail ${MTAIL_VERSION()} -one_shot: ${m.cpu.toFixed(2)} CPU s (${perM(m.cpu).toFixed(2)} per million lines), wall ${m.wall.toFixed(1)} s; new_orders ${counted ?? '?'}`,
    );
    console.log(
      `ratio mtail / floorwatch CPU s: ${(m.cpu / doneCpu).toFixed(2)}x end to end, ${(m.cpu / (doneCpu - startupCpu)).toFixed(2)}x without the agent's start-up`,
    );
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
