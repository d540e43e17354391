/**
 * Runs the built `floorwatch demo` (dist/, as `npm start` does) on free ports, in its own process
 * group, so a test that fails or times out still leaves nothing behind: stop() sends Ctrl-C and
 * waits; kill() takes the whole group down and removes the demo's network namespace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { getJson } from './floorwatch.js';
import { freePort, waitFor } from './wait.js';

export const DEMO_CLI = 'dist/cli/floorwatch.js';

export interface DemoRun {
  readonly child: ChildProcess;
  readonly api: string;
  readonly demoUrl: string;
  readonly stdout: string[];
  /** Agents the demo connects: plant host, 6 workstations, fixture host, and the veth host as root. */
  readonly agents: number;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL to the whole process group, netns removed; for teardown. */
  kill(): void;
}

export async function startDemo(opts: { escalateAfterS?: number; plantPortBase: number }): Promise<DemoRun> {
  const ports = { http: await freePort(), demo: await freePort(), health: await freePort(), snpp: await freePort(), smtp: await freePort() };
  const stateDir = `.floorwatch/demo-test-${process.pid}-${ports.http}`;
  const args = ['demo', '--state-dir', stateDir, '--http-port', String(ports.http), '--demo-port', String(ports.demo), '--health-port', String(ports.health)];
  args.push('--plant-port-base', String(opts.plantPortBase), '--snpp-port', String(ports.snpp), '--smtp-port', String(ports.smtp));
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
    agents: process.getuid?.() === 0 ? 9 : 8,
    stop: () => (child.kill('SIGINT'), exited),
    kill,
  };
}

/** Waits for the banner, every agent connected, and a primary in both plant pairs. */
export async function demoReady(d: DemoRun, timeoutMs: number): Promise<void> {
  await waitFor('the demo banner', () => d.stdout.some((l) => l.includes('demo floor is running')), { timeoutMs });
  await waitFor(`${d.agents} agents connected and both pairs with a primary`, async () => {
    const h = await getJson<{ agents_connected: number; samples_ingested: number }>(`${d.api}/api/health`);
    const primaries = await getJson<{ value: number }[]>(`${d.api}/api/series?measurement=plant&field=primary`);
    return h.agents_connected === d.agents && h.samples_ingested > 0 && primaries.filter((p) => p.value === 1).length === 2;
  }, { timeoutMs });
}
