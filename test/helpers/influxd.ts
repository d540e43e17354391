/**
 * Starts a real InfluxDB 1.x (Debian's influxd) for tests and benchmarks: generated config, every
 * port on 127.0.0.1, a temp data dir. Never uses the distribution's service. The process
 * supervision (ServerProcess) is shared with the VictoriaMetrics harness.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxdConfig } from '../../lib/influxd-config.js';
import { freePort, waitFor } from './wait.js';

export const INFLUXD_BIN = '/usr/bin/influxd';

export type Availability = { ok: true } | { ok: false; reason: string };

/** A store server child of a test (influxd, victoria-metrics): where it listens, its data dir, its lifecycle. */
export interface ManagedServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** Final: SIGTERM, wait for exit, remove the data dir. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal; unless it is SIGSTOP/SIGCONT, waits for the exit. Data dir and port are kept. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops if running, then starts again on the same data dir and port; waits until it answers. */
  restart(): Promise<void>;
}

export interface Influxd extends ManagedServer {
  /** A database created at start, for tests that do not care about the name. */
  readonly db: string;
  /** InfluxQL against `db` (or the given one); throws on a statement error. */
  query(influxql: string, db?: string): Promise<InfluxqlSeries[]>;
  /** The first value of the first row, e.g. of `SELECT count(f) FROM m`; 0 when there are no rows. */
  scalar(influxql: string, db?: string): Promise<number>;
}

export interface InfluxqlSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Bounded tail of a child's output, for start-up failure messages. */
class OutputTail {
  #chunks: string[] = [];
  #bytes = 0;
  constructor(private readonly maxBytes = 16_384) {}
  push(chunk: Buffer): void {
    this.#chunks.push(chunk.toString('utf8'));
    this.#bytes += chunk.length;
    while (this.#bytes > this.maxBytes && this.#chunks.length > 1) this.#bytes -= this.#chunks.shift()!.length;
  }
  text(): string {
    return this.#chunks.join('').slice(-this.maxBytes);
  }
}

/** One server child process that can be stopped and started again with the same arguments. */
export class ServerProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #tail = new OutputTail();
  readonly #killOnExit = () => this.#child?.kill('SIGKILL');

  constructor(
    private readonly label: string,
    private readonly bin: string,
    private readonly args: string[],
    private readonly readyUrl: string,
    private readonly readyTimeoutMs = 15_000,
  ) {}

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) return;
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#tail = new OutputTail();
    child.stdout?.on('data', (c: Buffer) => this.#tail.push(c));
    child.stderr?.on('data', (c: Buffer) => this.#tail.push(c));
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.#exited.then(() => {
      if (this.#child === child) this.#child = undefined;
    });
    process.once('exit', this.#killOnExit);
    try {
      await waitFor(`${this.label} ready at ${this.readyUrl}`, () => this.#probeReady(child), {
        timeoutMs: this.readyTimeoutMs,
        everyMs: 50,
      });
    } catch (err) {
      await this.kill('SIGKILL');
      throw new Error(`${String(err)}\n--- ${this.label} output ---\n${this.#tail.text()}`);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    const hardKill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(hardKill);
    process.removeListener('exit', this.#killOnExit);
  }

  output(): string {
    return this.#tail.text();
  }

  async #probeReady(child: ChildProcess): Promise<boolean> {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${this.label} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    const res = await fetch(this.readyUrl, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  }
}

const installAttempts = new Map<string, Promise<Availability>>();

/**
 * Makes a Debian package's binary available: present → ok; missing and root → apt-get install with
 * a policy-rc.d that forbids starting services; otherwise a reason to skip. Once per process.
 */
export function ensureDebianBinary(bin: string, pkg: string): Promise<Availability> {
  let attempt = installAttempts.get(bin);
  if (!attempt) {
    attempt = Promise.resolve(installDebianBinary(bin, pkg));
    installAttempts.set(bin, attempt);
  }
  return attempt;
}

function installDebianBinary(bin: string, pkg: string): Availability {
  if (existsSync(bin)) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, reason: `${bin} missing (apt-get install ${pkg}) and not root` };
  forbidServiceStarts();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 300_000 });
  let result = apt(['install', '-y', pkg]);
  if (result.status !== 0) {
    apt(['update']);
    result = apt(['install', '-y', pkg]);
  }
  if (result.status === 0 && existsSync(bin)) return { ok: true };
  const why = (result.stderr || result.error?.message || '').trim().split('\n').slice(-3).join(' / ');
  return { ok: false, reason: `apt-get install ${pkg} failed: ${why}` };
}

function forbidServiceStarts(): void {
  const path = '/usr/sbin/policy-rc.d';
  const forbidding = '#!/bin/sh\nexit 101\n';
  if (existsSync(path) && /exit 101/.test(readFileSync(path, 'utf8'))) return;
  writeFileSync(path, forbidding, { mode: 0o755 });
}

export function influxdAvailable(): Promise<Availability> {
  return ensureDebianBinary(INFLUXD_BIN, 'influxdb');
}

/**
 * stop() (final: SIGTERM, data dir removed), kill() and restart() on the same data dir and port,
 * shared by the influxd and victoria-metrics harnesses. (No getters here: a spread copies them
 * as values.)
 */
export function lifecycle(server: ServerProcess, dataDir: string, name: string): Pick<ManagedServer, 'stop' | 'kill' | 'restart'> {
  let stopped = false;
  return {
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await server.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill: (signal?: NodeJS.Signals) => server.kill(signal),
    async restart(): Promise<void> {
      if (stopped) throw new Error(`${name} was stopped for good; start a new one`);
      await server.kill('SIGTERM');
      await server.start();
    },
  };
}

/** Starts influxd on free ports with a fresh data dir and database `db` (default "floorwatch"). */
export async function startInfluxd(opts: { db?: string } = {}): Promise<Influxd> {
  const available = await influxdAvailable();
  if (!available.ok) throw new Error(available.reason);
  const dataDir = mkdtempSync(join(tmpdir(), 'fw-influxd-'));
  const [port, rpcPort] = [await freePort(), await freePort()];
  const configPath = join(dataDir, 'influxdb.conf');
  writeFileSync(configPath, influxdConfig(dataDir, port, rpcPort));
  const url = `http://127.0.0.1:${port}`;
  const server = new ServerProcess('influxd', INFLUXD_BIN, ['run', '-config', configPath], `${url}/ping`);
  try {
    await server.start();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const db = opts.db ?? 'floorwatch';
  const query = (q: string, database = db) => influxql(url, q, database);
  await query(`CREATE DATABASE "${db}"`);
  return {
    url,
    port,
    db,
    dataDir,
    get running() {
      return server.running;
    },
    ...lifecycle(server, dataDir, 'influxd'),
    query,
    async scalar(q, database) {
      const series = await query(q, database);
      const value = series[0]?.values[0]?.[1];
      return typeof value === 'number' ? value : 0;
    },
  };
}

export async function influxql(url: string, q: string, db: string): Promise<InfluxqlSeries[]> {
  const params = new URLSearchParams({ q, db, epoch: 'u' });
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: params,
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    error?: string;
    results?: { error?: string; series?: InfluxqlSeries[] }[];
  };
  const statementError = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || statementError) throw new Error(`influxql ${q}: ${res.status} ${statementError ?? ''}`);
  return body.results?.flatMap((r) => r.series ?? []) ?? [];
}
