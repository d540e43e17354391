/**
 * Runs the real `floorwatch` CLI as child processes (from source, through tsx, so a test never
 * runs a stale build) and reads their JSON readiness lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.js';
import type { BrainHandle } from '../../brain/main.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface FloorwatchProcess {
  readonly child: ChildProcess;
  readonly lines: unknown[];
  readonly stderr: string[];
  /** Resolves with the first JSON stdout line matching `pred`. */
  line<T = Record<string, unknown>>(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<T>;
  /** Sends the signal and waits for the process to exit; resolves with the exit code/signal. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function floorwatch(args: string[], opts: { env?: Record<string, string> } = {}): FloorwatchProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/floorwatch.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, FLOORWATCH_LOG_LEVEL: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'warn', ...opts.env },
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
    line: (pred, timeoutMs = 20_000) =>
      waitFor(
        `a stdout line from floorwatch ${args[0]}`,
        () => {
          const found = lines.find((l) => pred(l as Record<string, unknown>));
          if (!found && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before printing it`);
          return found as never;
        },
        { timeoutMs },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nstderr:\n${stderr.slice(-20).join('\n')}`);
      }),
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
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

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * `floorwatch run --name NAME -- sleep 600` reporting to the agent at `socket`, once the brain
 * has its start: returns the child's pid, for the test to kill.
 */
export async function wrappedSleeper(t: { teardown(fn: () => unknown): void }, brain: Pick<BrainHandle, 'events'>, socket: string, dir: string, name = 'fh-a'): Promise<number> {
  const wrapper = floorwatch(['run', '--name', name, '--restart', 'never', '--agent-socket', socket, '--log', `${dir}/${name}.log`, '--', 'sleep', '600']);
  t.teardown(() => wrapper.kill('SIGKILL'));
  const started = await waitFor('process.start at the brain', () => brain.events.recent({ kind: 'process.start' }).find((e) => e.tags['process'] === name));
  return Number(started.attrs['pid'] ?? started.values['pid']);
}
