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
    const hit = this.counters.filter((c) => c.field === field && Object.entries(tags).every(([k, v]) => c.tags[k] === v));
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

/** `linesPerWrite: 1` writes every line with its own write(2), as line-by-line logging does. */
export async function startWriter(path: string, linesPerSec: number, linesPerWrite?: number): Promise<Writer> {
  writeFileSync(path, '', { flag: 'a' });
  const args = [writerScript, path, String(linesPerSec), ...(linesPerWrite ? [String(linesPerWrite)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('writer ready', () => out.includes('ready'), { timeoutMs: 30_000 });
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      const m = await waitFor('writer last seq', () => /last=(\d+)/.exec(out), { timeoutMs: 30_000 });
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

/** A logrotate stanza; `keep` generations are kept (older ones are deleted, their lines leave the disk). */
export function rotateConf(logPath: string, options: string[], hupPid?: number, keep = 20): string {
  const post = hupPid ? `  postrotate\n    kill -HUP ${hupPid}\n  endscript\n` : '';
  return `${logPath} {\n  rotate ${keep}\n  missingok\n${options.map((o) => `  ${o}\n`).join('')}${post}}\n`;
}

/** Every sequence number present in the log and all its rotated generations on disk. */
export function seqsOnDisk(dir: string, base: string): Set<number> {
  return new Set(seqsByFile(dir, base).flatMap(([, seqs]) => seqs));
}

/** The sequence numbers in each generation of the log, by file name. */
export function seqsByFile(dir: string, base: string): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith(base)) continue;
    let text = readFileSync(join(dir, name));
    if (name.endsWith('.gz')) text = gunzipSync(text);
    out.push([name, [...text.toString('latin1').matchAll(/^seq=(\d+);/gm)].map((m) => Number(m[1]))]);
  }
  return out;
}

/** Which generation files hold `seqs`: "app.log.3: 17-23 (7 lines); app.log: 40 (1 lines)". */
export function whereOnDisk(dir: string, base: string, seqs: number[]): string {
  const wanted = new Set(seqs);
  const parts = seqsByFile(dir, base)
    .map(([name, inFile]) => [name, inFile.filter((s) => wanted.has(s))] as const)
    .filter(([, hit]) => hit.length > 0)
    .map(([name, hit]) => `${name}: ${idRanges(hit, 5)}`);
  return parts.length > 0 ? parts.join('; ') : 'in no file';
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

/** Numbers as compact ranges for a failure message: "17-23, 40, 91-95 (13 lines)". */
export function idRanges(ids: Iterable<number>, max = 40): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i]!;
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i]! + 1) i++;
    parts.push(from === sorted[i] ? String(from) : `${from}-${sorted[i]}`);
  }
  const shown = parts.length > max ? [...parts.slice(0, max), `… ${parts.length - max} more ranges`] : parts;
  return `${shown.join(', ')} (${sorted.length} lines)`;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
