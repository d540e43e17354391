/**
 * Runs the built `floorwatch demo` (dist/, as `npm start` does) on free ports, in its own process
 * group, so a test that fails or times out still leaves nothing behind: stop() sends Ctrl-C and
 * waits; kill() takes the whole group down and removes the demo's network namespace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { getJson } from './floorwatch.js';
import { freePort, waitWhileProgressing } from './wait.js';
import { findPids } from '../../cli/drill/processes.js';

export const DEMO_CLI = 'dist/cli/floorwatch.js';

export interface DemoRun {
  readonly child: ChildProcess;
  readonly api: string;
  readonly demoUrl: string;
  readonly stdout: string[];
  /** Its state directory, relative to the working directory (unique to this demo). */
  readonly stateDir: string;
  /** Agents the demo connects: plant host, 6 workstations, fixture host, and the veth host as root. */
  readonly agents: number;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL to the whole process group, netns removed; for teardown. */
  kill(): void;
}

/** The plant takes ports base..base+PLANT_PORTS-1 (TCP and UDP; cli/demo/configs.ts). */
const PLANT_PORTS = 42;

export async function startDemo(opts: { escalateAfterS?: number } = {}): Promise<DemoRun> {
  const ports = {
    http: await freePort(),
    demo: await freePort(),
    health: await freePort(),
    snpp: await freePort(),
    smtp: await freePort(),
  };
  const plantPortBase = await freePortBlock(PLANT_PORTS);
  const stateDir = `.floorwatch/demo-test-${process.pid}-${ports.http}`;
  const args = [
    'demo',
    '--state-dir',
    stateDir,
    '--http-port',
    String(ports.http),
    '--demo-port',
    String(ports.demo),
    '--health-port',
    String(ports.health),
  ];
  args.push('--plant-port-base', String(plantPortBase), '--snpp-port', String(ports.snpp), '--smtp-port', String(ports.smtp));
  if (opts.escalateAfterS) args.push('--escalate-after', String(opts.escalateAfterS));
  const child = spawn(process.execPath, [DEMO_CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const stdout: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => stdout.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    // The plant's components run in their own process groups (their wrappers start them detached):
    // a SIGKILLed demo cannot stop them, so they are found by this demo's state directory.
    for (const pid of processesUsing(stateDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // The demo names its namespace and veth after its pid; a killed demo cannot remove them.
    spawnSync('ip', ['link', 'del', `fwd${child.pid}a`], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', `fwdemo${child.pid}`], { stdio: 'ignore' });
    rmSync(stateDir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  return {
    child,
    api: `http://127.0.0.1:${ports.http}`,
    demoUrl: `http://127.0.0.1:${ports.demo}`,
    stdout,
    stateDir,
    agents: process.getuid?.() === 0 ? 9 : 8,
    stop: () => (child.kill('SIGINT'), exited),
    kill,
  };
}

/**
 * `floorwatch plant … --id COMPONENT` of the demo whose state directory is `dir` (not its
 * `floorwatch run` wrapper); a process that exits while /proc is read is skipped, not an error.
 */
export function plantPidsOf(dir: string, component: string): number[] {
  return findPids(
    (argv) =>
      argv.includes('plant') &&
      !argv.includes('run') &&
      argv[argv.indexOf('--id') + 1] === component &&
      argv.some((a) => a.includes(`/${dir}/`)),
  );
}

/** Pids of the processes whose command line names `dir` (this demo's own: its path is unique). */
export function processesUsing(dir: string): number[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2]!.includes(`/${dir}/`) && Number(m[1]) !== process.pid)
    .map((m) => Number(m[1]));
}

/**
 * A block of `n` ports free for TCP and UDP on 127.0.0.1 a moment ago, at a random base below the
 * ephemeral range (where freePort() and outgoing connections take theirs): two demos (two tests,
 * or two checkouts on one machine) never share a fixed plant port range.
 */
async function freePortBlock(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 600) * 20;
    const free = await Promise.all(Array.from({ length: n }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${n} free ports found in 50 tries`);
}

async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => (sock.close(), resolve(false)));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/**
 * Waits for the banner, every agent connected, and a primary in both plant pairs. The deadline
 * follows progress (banner lines printed, agents connected, primaries elected): a busy machine
 * starts the floor slowly, a stuck part fails after `stallMs` without anything moving.
 */
export async function demoReady(d: DemoRun, stallMs: number): Promise<void> {
  await waitWhileProgressing(
    'the demo banner',
    () => d.stdout.some((l) => l.includes('demo floor is running')),
    () => d.stdout.length,
    {
      stallMs,
      detail: () => `last lines: ${d.stdout.slice(-3).join(' | ')}`,
    },
  );
  let seen = { agents: 0, primaries: 0 };
  await waitWhileProgressing(
    `${d.agents} agents connected and both pairs with a primary`,
    async () => {
      const h = await getJson<{ agents_connected: number; samples_ingested: number }>(`${d.api}/api/health`).catch(() => undefined);
      const primaries = await getJson<{ value: number }[]>(`${d.api}/api/series?measurement=plant&field=primary`).catch(() => []);
      seen = { agents: h?.agents_connected ?? 0, primaries: primaries.filter((p) => p.value === 1).length };
      return seen.agents === d.agents && (h?.samples_ingested ?? 0) > 0 && seen.primaries === 2;
    },
    () => seen,
    { stallMs, everyMs: 250 },
  );
}

/** `authorization: Bearer ...` for alice, the demo's operator, from the token file its banner names. */
export function operatorAuth(d: DemoRun): { authorization: string } {
  const file = d.stdout.map((l) => /--token-file (\S+)\)/.exec(l)?.[1]).find(Boolean);
  if (!file) throw new Error(`the demo banner names no token file: ${d.stdout.join(' | ')}`);
  return { authorization: `Bearer ${readFileSync(file, 'utf8').trim()}` };
}
