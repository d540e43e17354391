/**
 * The demo's own InfluxDB 1.x, when `influxd` is on PATH: started on free loopback ports with a
 * data dir in the demo's state dir, never the distribution's service. Stoppable and restartable
 * on the same port and data, for the influx-away drill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../../lib/free-port.js';
import { influxdConfig } from '../../lib/influxd-config.js';

export interface DemoInfluxd {
  readonly url: string;
  readonly db: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

export function influxdOnPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const bin = join(dir, 'influxd');
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function startDemoInfluxd(bin: string, dataDir: string, db: string): Promise<DemoInfluxd> {
  mkdirSync(dataDir, { recursive: true });
  const [port, rpcPort] = [await freePort(), await freePort()];
  const config = join(dataDir, 'influxdb.conf');
  writeFileSync(config, influxdConfig(dataDir, port, rpcPort));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const handle: DemoInfluxd = {
    url,
    db,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child) return;
      const started = spawn(bin, ['run', '-config', config], { stdio: 'ignore' });
      child = started;
      started.once('exit', () => {
        if (child === started) child = undefined;
      });
      await waitReady(url, () => child === started);
    },
    async stop() {
      const running = child;
      if (!running) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
  };
  await handle.start();
  await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
  return handle;
}

async function waitReady(url: string, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('influxd exited before answering /ping');
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.status === 204,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`influxd did not answer ${url}/ping within ${READY_TIMEOUT_MS} ms`);
}
