/**
 * Child processes of a benchmark: every one tracked, so the benchmark can kill them all on its
 * way out (normal end, signal, or over budget); plus the polling and port helpers they share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { waitFor as waitForValue, type Probe } from '../../lib/wait-for.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every `everyMs` (5 ms: benchmarks time what they wait for) until `probe` gives a value (lib/wait-for.ts). */
export function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 10_000, everyMs = 5): Promise<T> {
  return waitForValue(what, probe, { timeoutMs, everyMs });
}

export interface Proc {
  child: ChildProcess;
  /** The last 500 stdout lines. */
  lines: string[];
  /** The last 200 stderr lines. */
  stderr: string[];
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();

export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    if (lines.length > 500) lines.shift();
  });
  createInterface({ input: child.stderr! }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 200) stderr.shift();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => (children.delete(child), r())));
  return { child, lines, stderr, exited };
}

/** SIGTERM, then SIGKILL after 2 s. */
export async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 2000);
  await p.exited;
  clearTimeout(t);
}

/** SIGKILL to every child still running (cleanup on any exit path). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** The floorwatch CLI from source (warn-level logs unless FLOORWATCH_LOG_LEVEL says otherwise). */
export const floorwatch = (args: string[]) =>
  start(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/floorwatch.ts'), ...args], {
    FLOORWATCH_LOG_LEVEL: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'warn',
  });

/** A target process: HTTP /metrics for Prometheus (also what `floorwatch run` wraps). Args: port. */
export const TARGET_JS = `require('node:http').createServer((q,s)=>s.end('bench_target_up 1\\n')).listen(+process.argv[1],'127.0.0.1')`;

/**
 * Runs a benchmark's main, then always its cleanup and stops its time budget; says if the temp
 * dir survived; exits 1 when main threw.
 */
export async function runBench(
  main: () => Promise<void>,
  cleanup: () => Promise<void>,
  budget: NodeJS.Timeout,
  dir: string,
): Promise<never> {
  let code = 0;
  try {
    await main();
  } catch (err) {
    console.error(err);
    code = 1;
  } finally {
    await cleanup();
    clearTimeout(budget);
  }
  if (existsSync(dir)) console.error(`left ${dir} behind`);
  process.exit(code);
}
