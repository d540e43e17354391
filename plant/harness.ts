/**
 * Starts real plant processes on loopback with a generated config and watches their health:
 * shared by the process tests (test/plant) and the benchmark (bench/plant.bench.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { waitFor as waitForValue, type Probe, type WaitOptions } from '../lib/wait-for.js';
import { HealthListener } from './health/listener.js';
import { PLANT_NODE_FLAGS } from './launcher.js';
import type { HealthHeartbeat } from './health/types.js';
import { hostMonoUs } from './time.js';

/**
 * Diagnostics for a benchmark or test run: FW_PLANT_NODE_ARGS adds node flags to every plant
 * process (e.g. `--trace-gc --trace-incremental-marking`), FW_PLANT_LOG_DIR keeps each one's
 * output in a file when it exits.
 */
const DIAGNOSTIC_NODE_ARGS = process.env['FW_PLANT_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];

const MAIN = plantMain();

/**
 * The plant entry the components run: the built one (dist/plant/main.js) when it is at least as
 * new as every source file it is built from, else the TypeScript through tsx. A dozen processes
 * each compiling the plant through tsx took minutes to say anything on a busy machine (load 46);
 * `npm test` builds first, so the suite starts them from dist.
 */
function plantMain(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (!import.meta.url.endsWith('.ts')) return join(here, 'main.js');
  const built = join(here, '..', 'dist', 'plant', 'main.js');
  if (!existsSync(built)) return join(here, 'main.ts');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0),
      0,
    );
  const sources = Math.max(newest(here), newest(join(here, '..', 'lib')));
  return statSync(built).mtimeMs >= sources ? built : join(here, 'main.ts');
}

/** Polls until probe yields a value (lib/wait-for.ts), every 5 ms: the plant's tests time what they wait for. */
export function waitFor<T>(what: string, probe: Probe<T>, opts: WaitOptions = {}): Promise<T> {
  return waitForValue(what, probe, { everyMs: 5, ...opts });
}

/** Distinct free UDP ports: all held open until every one is chosen, so none repeats. */
export async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    sockets.push(s);
  }
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export interface PlantOptions {
  subscribers?: { id: string; symbols?: string[] }[];
  symbols?: number;
  rate?: number;
  count?: number;
  /** Desks run this many to a process (default 1): 10 desks need not be 10 Node processes. */
  desksPerProcess?: number;
  extra?: Record<string, unknown>;
}

export class PlantHarness {
  readonly health: HealthListener;
  readonly procs = new Map<string, RunningComponent>();
  private constructor(
    readonly file: string,
    readonly config: Record<string, unknown>,
    healthPort: number,
    readonly desksPerProcess: number,
  ) {
    this.health = new HealthListener({ port: healthPort });
  }

  static async create(o: PlantOptions = {}): Promise<PlantHarness> {
    const subs = o.subscribers ?? [{ id: 'ws-1' }, { id: 'ws-2' }];
    const p = await freeUdpPorts(8 + subs.length);
    const config = {
      symbols: { count: o.symbols ?? 20 },
      health: { targets: [`127.0.0.1:${p[0]}`] },
      provider: {
        rate: o.rate ?? 2000,
        count: o.count ?? 0,
        control_port: p[1],
        lines: [
          { name: 'a', port: p[2], to: 'fh-a' },
          { name: 'b', port: p[3], to: 'fh-b' },
        ],
      },
      feed_handlers: {
        members: [
          { id: 'fh-a', rank: 0, port: p[4] },
          { id: 'fh-b', rank: 1, port: p[5] },
        ],
      },
      ticker_plants: {
        members: [
          { id: 'tp-a', rank: 0, port: p[6] },
          { id: 'tp-b', rank: 1, port: p[7] },
        ],
      },
      subscribers: subs.map((s, i) => ({ id: s.id, port: p[8 + i], symbols: s.symbols ?? ['*'] })),
      ...o.extra,
    };
    const dir = mkdtempSync(join(tmpdir(), 'fw-plant-'));
    const file = join(dir, 'plant.yaml');
    writeFileSync(file, stringify(config));
    const h = new PlantHarness(file, config, p[0]!, Math.max(1, o.desksPerProcess ?? 1));
    await h.health.start();
    return h;
  }

  start(name: string, args: string[]): RunningComponent {
    const nodeArgs = [...PLANT_NODE_FLAGS, ...DIAGNOSTIC_NODE_ARGS, ...(MAIN.endsWith('.ts') ? ['--import', 'tsx'] : [])];
    const c = new RunningComponent(
      spawn(process.execPath, [...nodeArgs, MAIN, ...args, '--config', this.file], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const logDir = process.env['FW_PLANT_LOG_DIR'];
    if (logDir) void c.exited.then(() => writeFileSync(join(logDir, `${name}-${c.proc.pid}.log`), c.stdout + c.stderr));
    this.procs.set(name, c);
    return c;
  }

  /**
   * Starts the pairs and desks (not the provider) and waits until each pair has one primary and
   * the desks are known. Desks sharing a process share its entry in `procs` (and its fate).
   */
  async startDistribution(extraArgs: Record<string, string[]> = {}, timeoutMs = 90_000): Promise<void> {
    for (const id of ['tp-a', 'tp-b']) this.start(id, ['ticker-plant', '--id', id, ...(extraArgs[id] ?? [])]);
    for (const id of ['fh-a', 'fh-b']) this.start(id, ['feed-handler', '--id', id, ...(extraArgs[id] ?? [])]);
    const subs = this.config['subscribers'] as { id: string }[];
    for (let i = 0; i < subs.length; i += this.desksPerProcess) {
      const ids = subs.slice(i, i + this.desksPerProcess).map((s) => s.id);
      const c = this.start(ids[0]!, ['subscriber', '--id', ids.join(','), ...(extraArgs[ids[0]!] ?? [])]);
      for (const id of ids) this.procs.set(id, c);
    }
    // Starting a dozen node processes (each compiling its TypeScript) took over a minute at load 34:
    // the deadline follows progress (output from the processes, components heard from, desks
    // subscribed) and fails only when that stops.
    const heard = () =>
      [...new Set(this.procs.values())].reduce((n, c) => n + c.stdout.length + c.stderr.length, 0) +
      [...this.procs.keys()].filter((id) => this.hb(id)).length +
      Number(this.primary('tp')?.counters['subscribers'] ?? 0);
    await waitFor(
      'one primary in each pair and every desk subscribed',
      () => {
        const tp = this.primary('tp');
        return this.primary('fh') && tp && tp.counters['subscribers'] === subs.length && subs.every((s) => this.hb(s.id));
      },
      { timeoutMs, progress: heard },
    );
  }

  startProvider(args: string[] = []): RunningComponent {
    return this.start('provider', ['provider', ...args]);
  }

  hb(id: string): HealthHeartbeat | undefined {
    const v = this.health.get(id);
    return v && !v.lost ? v.heartbeat : undefined;
  }

  primary(pair: 'fh' | 'tp'): HealthHeartbeat | undefined {
    const live = [`${pair}-a`, `${pair}-b`].map((id) => this.hb(id)).filter((h) => h?.role === 'primary');
    return live.length === 1 ? live[0] : undefined;
  }

  /** Sends a command to the provider's control port (as `plant ctl` does). */
  async ctl(cmd: Record<string, unknown>): Promise<void> {
    const port = (this.config['provider'] as { control_port: number }).control_port;
    const s = createSocket('udp4');
    await new Promise<void>((r, j) => s.send(JSON.stringify(cmd), port, '127.0.0.1', (err) => (err ? j(err) : r())));
    s.close();
  }

  /** SIGKILLs a component; returns the host-monotonic µs of the kill, for fail-over timing. */
  kill(name: string): number {
    const c = this.procs.get(name);
    if (!c) throw new Error(`no process ${name}`);
    const at = hostMonoUs();
    c.proc.kill('SIGKILL');
    return at;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...new Set(this.procs.values())].map((c) => c.stop().catch(() => undefined)));
    await this.health.stop();
  }
}

export class RunningComponent {
  stdout = '';
  stderr = '';
  readonly exited: Promise<void>;
  #terminated = false;
  constructor(readonly proc: ChildProcess) {
    proc.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => proc.once('exit', () => r()));
  }

  /** CPU time (user + system) the process has used so far, from /proc (Linux): where a benchmark's cores went. */
  cpuSeconds(): number {
    try {
      const fields = readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    } catch {
      return NaN; // exited
    }
  }

  /**
   * SIGTERM and the one-line JSON summary the component prints on the way out; a process
   * running several desks prints one line each, and `component` picks one (default: the last).
   */
  async stop(component?: string): Promise<Record<string, unknown>> {
    // Once only: a second SIGTERM would find the handler gone and kill the process unsummarised.
    if (!this.#terminated && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    this.#terminated = true;
    await this.exited;
    const summaries = this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{"component":'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const found = component === undefined ? summaries.at(-1) : summaries.find((s) => s['component'] === component);
    if (!found) throw new Error(`no summary${component ? ` for ${component}` : ''}; stderr: ${this.stderr.slice(-2000)}`);
    return found;
  }
}
