/**
 * Reads one process's resource use straight from /proc (under an injectable root). Every reader
 * returns undefined when the process has gone: a process may exit between any two reads.
 * Synchronous on purpose: /proc reads never touch a disk and cost microseconds each, far less
 * than a promise round-trip per file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** USER_HZ: the unit of utime/stime; 100 on every Linux architecture Node supports. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  threads: number;
  /** Start time in ticks since boot: with the pid, identifies one process across pid reuse. */
  startTicks: number;
  /** Resident pages: the same counter as statm's second field. */
  rssPages: number;
}

/** Where each field after comm starts, reused: a scan parses ~30 of these a second. */
const fieldStarts = new Int32Array(22);

/**
 * Parses /proc/<pid>/stat; comm may hold spaces and parentheses, so fields count from the last
 * ')'. Only the fields used are converted, straight from the text (no split into 50 strings).
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields after comm: [0]=state(3) [1]=ppid(4) ... [11]=utime(14) [12]=stime(15) [17]=num_threads(20) [19]=starttime(22) [21]=rss(24)
  let pos = close + 2;
  for (let i = 0; i < fieldStarts.length; i++) {
    fieldStarts[i] = pos;
    const space = text.indexOf(' ', pos);
    pos = space < 0 ? text.length : space + 1;
  }
  const num = (i: number): number => unsignedAt(text, fieldStarts[i]!);
  const stat = {
    comm: text.slice(open + 1, close),
    state: text[fieldStarts[0]!] ?? '?',
    ppid: num(1),
    cpuTicks: num(11) + num(12),
    threads: num(17),
    startTicks: num(19),
    rssPages: num(21),
  };
  return Number.isFinite(stat.cpuTicks) && Number.isFinite(stat.threads) ? stat : undefined;
}

/** The decimal digits at `at` as a number; NaN when there are none. */
function unsignedAt(text: string, at: number): number {
  let value = Number.NaN;
  for (let i = at; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    value = (Number.isNaN(value) ? 0 : value * 10) + digit;
  }
  return value;
}

export function readStat(procRoot: string, pid: number): ProcStat | undefined {
  const text = readOrUndefined(join(procRoot, String(pid), 'stat'));
  return text === undefined ? undefined : parseStat(text);
}

/** Resident set size from VmRSS in /proc/<pid>/status (kB there), which needs no page size. */
export function readRssBytes(procRoot: string, pid: number): number | undefined {
  const text = readOrUndefined(join(procRoot, String(pid), 'status'));
  if (text === undefined) return undefined;
  const at = text.indexOf('\nVmRSS:');
  // A zombie or kernel thread has no VmRSS line: it holds no user memory.
  if (at < 0) return 0;
  const kb = Number.parseInt(text.slice(at + 7, text.indexOf('\n', at + 1)).trim(), 10);
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

export function countOpenFds(procRoot: string, pid: number): number | undefined {
  try {
    return readdirSync(join(procRoot, String(pid), 'fd')).length;
  } catch {
    return undefined;
  }
}

/** The command line with its NUL separators turned into spaces. */
export function readCmdline(procRoot: string, pid: number): string | undefined {
  const text = readOrUndefined(join(procRoot, String(pid), 'cmdline'));
  if (text === undefined) return undefined;
  return text.endsWith('\0') ? text.slice(0, -1).replaceAll('\0', ' ') : text.replaceAll('\0', ' ');
}

export function listPids(procRoot: string): number[] {
  const pids: number[] = [];
  const entries = readdirSync(procRoot);
  for (let i = 0; i < entries.length; i++) {
    const code = entries[i]!.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(entries[i]));
  }
  return pids;
}

/** CPU % of one core between two readings of a tick counter taken on a monotonic clock. */
export function cpuPercent(prevTicks: number, prevMs: number, ticks: number, nowMs: number): number {
  const elapsedS = (nowMs - prevMs) / 1000;
  if (elapsedS <= 0 || ticks < prevTicks) return 0;
  return ((ticks - prevTicks) / CLOCK_TICKS_PER_SECOND / elapsedS) * 100;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
