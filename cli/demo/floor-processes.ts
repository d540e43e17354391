/**
 * The demo's own processes: workstation agents (each its own process, so a drill can silence
 * one colour) and the plant components under `floorwatch run`, reporting to the plant host's
 * agent over its socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../lib/log.js';
import { workstationAgent } from './configs.js';
import type { DemoLayout } from './layout.js';

const CLI = resolve(import.meta.dirname, '../floorwatch.js');
const PLANT_COMPONENTS: [string, string[]][] = [
  ['tp-a', ['ticker-plant', '--id', 'tp-a']],
  ['tp-b', ['ticker-plant', '--id', 'tp-b']],
  ['fh-a', ['feed-handler', '--id', 'fh-a']],
  ['fh-b', ['feed-handler', '--id', 'fh-b']],
  ['ws-1', ['subscriber', '--id', 'ws-1']],
  ['ws-2', ['subscriber', '--id', 'ws-2']],
  ['provider', ['provider']],
  ['fix-venue', ['fix-venue']],
  ['fix-router', ['fix-router']],
];

type Workstation = DemoLayout['workstations'][number];

/** ws-ldn-001..N, odd ones red, even ones blue: the floor's checkerboard. */
export function spawnWorkstations(n: number, dir: string, brain: readonly string[], children: ChildProcess[], log: Logger): Workstation[] {
  const workstations: Workstation[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `ws-ldn-${String(i).padStart(3, '0')}`;
    const colour = i % 2 ? 'red' : 'blue';
    const config = join(dir, `${id}.yaml`);
    writeFileSync(config, workstationAgent(dir, brain, id, colour));
    const child = spawnCli(['agent', '--config', config, '--id', id], log);
    children.push(child);
    workstations.push({ agent: id, colour, pid: child.pid ?? 0 });
  }
  return workstations;
}

export function spawnPlant(o: { plantConfig: string; socket: string; logsDir: string }, children: ChildProcess[], log: Logger): void {
  for (const [name, args] of PLANT_COMPONENTS) {
    const wrapper = ['run', '--name', name, '--restart', 'on-failure', '--agent-socket', o.socket, '--log', join(o.logsDir, `${name}.log`)];
    children.push(spawnCli([...wrapper, '--', process.execPath, CLI, 'plant', ...args, '--config', o.plantConfig], log));
  }
}

function spawnCli(args: string[], log: Logger): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore', env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'warn' } });
  child.once('error', (err) => log.error({ err, args }, 'demo child failed to start'));
  return child;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    child.once('exit', () => res());
    // A drill may have frozen it (colour-dark): a stopped process only sees SIGTERM once continued.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}
