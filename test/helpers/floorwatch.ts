/**
 * Runs the real `floorwatch` CLI as child processes (from source, through tsx, so a test never
 * runs a stale build) and reads their JSON readiness lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor, waitWhileProgressing } from './wait.js';
import type { BrainHandle } from '../../brain/main.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface FloorwatchProcess {
  readonly child: ChildProcess;
  readonly lines: unknown[];
  readonly stderr: string[];
  /** Resolves with the first JSON stdout line matching `pred`. */
  /**
   * Resolves with the first JSON stdout line matching `pred`. Fails when the process exits first,
   * or when for `stallMs` it neither printed nor used CPU: on a busy machine a slow start is slow.
   */
  line<T = Record<string, unknown>>(pred: (l: Record<string, unknown>) => boolean, stallMs?: number): Promise<T>;
  /** Sends the signal and waits for the process to exit; resolves with the exit code/signal. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * `opts.installed`: run an installed release's compiled CLI instead (deploy tests), from `cwd`,
 * with exactly `env` (e.g. a PATH without a compiler).
 */
export function floorwatch(
  args: string[],
  opts: { env?: Record<string, string>; installed?: { cli: string; cwd: string; env: Record<string, string> }; built?: boolean } = {},
): FloorwatchProcess {
  const built = opts.built === false ? undefined : freshBuild();
  const entry = opts.installed ? [opts.installed.cli] : built ? [built] : ['--import', 'tsx', join(ROOT, 'cli/floorwatch.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: opts.installed?.cwd ?? ROOT,
    env: opts.installed?.env ?? { ...process.env, FLOORWATCH_LOG_LEVEL: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: unknown[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push({ text: l });
    }
  });
  createInterface({ input: child.stderr! }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 2000) stderr.shift();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      res({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr,
    exited,
    line: <T>(pred: (l: Record<string, unknown>) => boolean, stallMs = 20_000) => {
      const find = () => lines.find((l) => pred(l as Record<string, unknown>)) as T | undefined;
      return waitWhileProgressing(
        `a stdout line from floorwatch ${args[0]}`,
        () => {
          const found = find();
          if (!found && (child.exitCode !== null || child.signalCode !== null))
            throw new Error(`exited (${child.exitCode ?? child.signalCode}) before printing it`);
          return found;
        },
        () => `${lines.length} lines, ${cpuTicks(child.pid)} CPU ticks`,
        { stallMs },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nstderr:\n${stderr.slice(-20).join('\n')}`);
      });
    },
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

let fresh: string | null | undefined;

/**
 * The compiled CLI (dist/) runs unless `opts.built` is false, when it is fresh: every source file
 * the CLI is compiled from has its .js in dist/ no older than itself (`npm test` builds first).
 * Otherwise (never built, or a file edited since the build) the sources through tsx. A start
 * through tsx costs about twice the CPU (0.6-0.75 s against 0.25-0.35 s measured on a loaded
 * 2-core box), which on a busy machine is most of the time of a test that starts processes.
 */
export function freshBuild(): string | undefined {
  if (fresh === undefined) {
    fresh = join(ROOT, 'dist/cli/floorwatch.js');
    try {
      for (const top of ['lib', 'cli', 'proto', 'agent', 'brain', 'plant']) {
        for (const rel of readdirSync(join(ROOT, top), { recursive: true }) as string[]) {
          if (!rel.endsWith('.ts') || rel.endsWith('.d.ts')) continue;
          const src = join(ROOT, top, rel);
          const out = join(ROOT, 'dist', top, rel.replace(/\.ts$/, '.js'));
          if (statSync(out).mtimeMs < statSync(src).mtimeMs) throw new Error(`stale: ${out}`);
        }
      }
    } catch {
      fresh = null; // a .js missing or older than its source
    }
  }
  return fresh ?? undefined;
}

/** CPU time a process has used (user + system, clock ticks); -1 once it is gone. */
function cpuTicks(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return -1;
  }
}

/** A scratch directory removed when the test ends. */
export function scratchDir(t: { teardown(fn: () => void): void }, prefix = 'fw-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeYaml(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * A GET, once more if the server had closed the pooled keep-alive socket the request went out on
 * (undici: UND_ERR_SOCKET "other side closed"), as browsers retry an idempotent request: a test
 * that blocked its own event loop (a spawnSync) may not yet have seen the close.
 */
export async function getJson<T>(url: string): Promise<T> {
  const get = () => fetch(url, { signal: AbortSignal.timeout(5000) });
  const res = await get().catch((err: { cause?: { code?: string } }) => {
    if (err.cause?.code === 'UND_ERR_SOCKET') return get();
    throw err;
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * The argv of `floorwatch run` wrapping `command` as `name`, reporting to the agent at `socket`,
 * its output in `dir/NAME.log` (restart policy `never` unless given): one spelling for the tests
 * and benchmarks that wrap a process.
 */
export function wrappedArgs(
  o: { name: string; socket: string; dir: string; restart?: 'never' | 'on-failure' | 'always' },
  command: readonly string[],
): string[] {
  return [
    'run',
    '--name',
    o.name,
    '--restart',
    o.restart ?? 'never',
    '--agent-socket',
    o.socket,
    '--log',
    `${o.dir}/${o.name}.log`,
    '--',
    ...command,
  ];
}

/**
 * `floorwatch run --name NAME -- sleep 600` reporting to the agent at `socket`, once the brain
 * has its start: returns the child's pid, for the test to kill.
 */
export async function wrappedSleeper(
  t: { teardown(fn: () => unknown): void },
  brain: Pick<BrainHandle, 'events'>,
  socket: string,
  dir: string,
  name = 'fh-a',
): Promise<number> {
  const wrapper = floorwatch(wrappedArgs({ name, socket, dir }, ['sleep', '600']));
  t.teardown(() => wrapper.kill('SIGKILL'));
  const started = await waitFor('process.start at the brain', () =>
    brain.events.recent({ kind: 'process.start' }).find((e) => e.tags['process'] === name),
  );
  return Number(started.attrs['pid'] ?? started.values['pid']);
}
