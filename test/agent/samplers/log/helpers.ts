/** Shared pieces of the log sampler tests: a recording Emit, a writer child, real logrotate. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Emit, EventInput, Tags } from '../../../../agent/sampler.js';
import { waitFor } from '../../../helpers/wait.js';

const run = promisify(execFile);

export interface Recorded {
  measurement: string;
  field: string;
  value: number;
  tags: Tags;
  timeUs: number | undefined;
  atUs: number;
}

export class RecordingEmit implements Emit {
  readonly gauges: Recorded[] = [];
  readonly counters: Recorded[] = [];
  readonly events: { kind: string; input: EventInput | undefined }[] = [];
  readonly errors: Error[] = [];
  gauge(measurement: string, field: string, value: number, tags: Tags = {}, timeUs?: number): void {
    this.gauges.push({ measurement, field, value, tags, timeUs, atUs: Date.now() * 1000 });
  }
  counter(measurement: string, field: string, value: number, tags: Tags = {}, timeUs?: number): void {
    this.counters.push({ measurement, field, value, tags, timeUs, atUs: Date.now() * 1000 });
  }
  event(kind: string, input?: EventInput): void {
    this.events.push({ kind, input });
  }
  error(err: Error): void {
    this.errors.push(err);
  }
  values(field: string): number[] {
    return this.gauges.filter((g) => g.field === field).map((g) => g.value);
  }
  lastCounter(field: string, tags: Partial<Tags>): number | undefined {
    const hit = this.counters.filter(
      (c) => c.field === field && Object.entries(tags).every(([k, v]) => c.tags[k] === v),
    );
    return hit[hit.length - 1]?.value;
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fw-log-${prefix}-`));
}

const writerScript = new URL('../../../fixtures/log/writer.mjs', import.meta.url).pathname;

export interface Writer {
  child: ChildProcess;
  /** Stops the writer; resolves with the last sequence number it wrote. */
  stop(): Promise<number>;
}

export async function startWriter(path: string, linesPerSec: number): Promise<Writer> {
  writeFileSync(path, '', { flag: 'a' });
  const child = spawn(process.execPath, [writerScript, path, String(linesPerSec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('writer ready', () => out.includes('ready'));
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      const m = await waitFor('writer last seq', () => /last=(\d+)/.exec(out));
      return Number(m[1]);
    },
  };
}

/** Runs Debian's logrotate, forced, on a config written to a temp file. */
export async function logrotate(dir: string, conf: string): Promise<void> {
  const confPath = join(dir, `logrotate-${Date.now()}-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(confPath, conf, { mode: 0o644 });
  await run('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), confPath]);
}

export function rotateConf(logPath: string, options: string[], hupPid?: number): string {
  const post = hupPid ? `  postrotate\n    kill -HUP ${hupPid}\n  endscript\n` : '';
  return `${logPath} {\n  rotate 20\n  missingok\n${options.map((o) => `  ${o}\n`).join('')}${post}}\n`;
}

/** Every sequence number present in the log and all its rotated generations on disk. */
export function seqsOnDisk(dir: string, base: string): Set<number> {
  const seqs = new Set<number>();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(base)) continue;
    let text = readFileSync(join(dir, name));
    if (name.endsWith('.gz')) text = gunzipSync(text);
    for (const m of text.toString('latin1').matchAll(/^seq=(\d+);/gm)) seqs.add(Number(m[1]));
  }
  return seqs;
}

export function duplicates(values: number[]): number[] {
  const seen = new Set<number>();
  const dups: number[] = [];
  for (const v of values) {
    if (seen.has(v)) dups.push(v);
    seen.add(v);
  }
  return dups;
}

/** Missing numbers in 1..last, as contiguous [from, to] ranges. */
export function gaps(seen: Set<number>, last: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i <= last; i++) {
    if (seen.has(i)) continue;
    const from = i;
    while (i + 1 <= last && !seen.has(i + 1)) i++;
    out.push([from, i]);
  }
  return out;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
