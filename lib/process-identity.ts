/**
 * One process, told apart from a later one that reuses its pid: the pid plus the process's start
 * time in clock ticks since boot (/proc/<pid>/stat, field 22). A wrapper reads it for the child
 * it spawned, the child for itself, and both read the same number, so the brain can match a
 * wrapper's "started"/"exited" to a component's heartbeat without trusting the pid alone
 * (brain/ingest/plant-verdicts.ts). Linux only: elsewhere the start time is unknown (undefined).
 */
import { readFileSync } from 'node:fs';

/** The start time of `pid` in ticks since boot, or undefined (no /proc, process gone, unparsable). */
export function processStartTicks(pid: number | 'self', procRoot = '/proc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return startTicksOfStat(text);
}

/** Field 22 of a /proc/<pid>/stat line; comm (field 2) may hold spaces and ')', so count from the last ')'. */
export function startTicksOfStat(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " come fields 3, 4, ...: starttime (22) is the 20th of them.
  const value = text.slice(close + 2).split(' ')[19];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The key one process is known by: pid alone only where the start time is unknown. */
export function processKey(pid: number, startTicks: number | null | undefined): string {
  return startTicks === undefined || startTicks === null ? `${pid}` : `${pid}@${startTicks}`;
}
