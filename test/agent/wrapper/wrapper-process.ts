/** Runs `floorwatch run` as a real process (the standalone entry) next to a real agent socket listener. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { LocalSocketSampler } from '../../../agent/local/local-socket.js';
import { systemClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/log.js';
import { RecordingEmit } from '../local/recording-emit.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const entry = join(repoRoot, 'cli/commands/run-main.ts');

export interface WrapperRun {
  process: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-run-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the wrapper; on teardown it and every child it reported are killed if still alive. */
export function startWrapper(t: Test, args: readonly string[], agent?: RecordingEmit): WrapperRun {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    for (const e of agent?.eventsOf('process.start') ?? []) killQuietly(Number(e.attrs?.['pid']));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { process: child, stderr: () => stderr, exited };
}

export async function startAgent(t: Test, path: string): Promise<{ sampler: LocalSocketSampler; emit: RecordingEmit }> {
  const sampler = new LocalSocketSampler(path, { clock: systemClock, log: silentLogger });
  const emit = new RecordingEmit();
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  return { sampler, emit };
}

/** A node one-liner as the supervised command. */
export function nodeChild(source: string): string[] {
  return [process.execPath, '-e', source];
}

function killQuietly(pid: number): void {
  try {
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: the usual case.
  }
}
