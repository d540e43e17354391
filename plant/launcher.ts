/**
 * `floorwatch plant all`: the whole plant as separate processes (as the paper's four machines
 * would be), started in dependency order, stopped together; their summaries are relayed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/log.js';
import type { PlantConfig } from './config.js';

/**
 * V8 heap sizing for every plant process (measured: docs/benchmarks.md, *Plant*). V8 starts
 * incremental marking early whenever the old generation's free room (limit - size) is smaller
 * than the young generation: with the default limit a plant process (12–20 MB live) ran a
 * mark-compact every ~170 ms at 100,000 updates/s, 2–15 ms each plus marking steps — the desk
 * process's and ticker plants' latency tail. A 256 MB floor under the old-generation limit stops
 * that; a 32 MB semi-space makes scavenges rarer (what dies young — every received datagram's
 * Buffer — costs nothing to collect); the memory reducer would only add GCs meant for idle
 * processes. Old-generation growth past the floor still collects as usual.
 */
export const PLANT_NODE_FLAGS = ['--max-semi-space-size=32', '--initial-old-space-size=256', '--no-memory-reducer'];

export function plantEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./main.${ext}`, import.meta.url));
}

export function componentArgs(cfg: PlantConfig, configFile: string | undefined): string[][] {
  const conf = configFile ? ['--config', configFile] : [];
  return [
    ...cfg.ticker_plants.members.map((m) => ['ticker-plant', '--id', m.id, ...conf]),
    ...cfg.feed_handlers.members.map((m) => ['feed-handler', '--id', m.id, ...conf]),
    ...cfg.subscribers.map((s) => ['subscriber', '--id', s.id, ...conf]),
    ['provider', ...conf],
  ];
}

export async function runWholePlant(cfg: PlantConfig, configFile: string | undefined, log: Logger): Promise<void> {
  const children: ChildProcess[] = [];
  for (const args of componentArgs(cfg, configFile)) {
    const child = spawn(process.execPath, [...PLANT_NODE_FLAGS, ...process.execArgv, plantEntry(), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.pipe(process.stdout, { end: false });
    child.on('exit', (code, signal) => log.info({ component: args.join(' '), code, signal }, 'component exited'));
    children.push(child);
  }
  log.info({ components: children.length, health: cfg.health.targets }, 'plant running');
  await new Promise<void>((resolve) => {
    const stop = () => {
      let left = children.filter((c) => c.exitCode === null && c.signalCode === null).length;
      if (left === 0) return resolve();
      for (const c of children) {
        c.once('exit', () => --left === 0 && resolve());
        c.kill('SIGTERM');
      }
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
