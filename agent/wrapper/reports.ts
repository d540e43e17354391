/** The messages `floorwatch run` sends about its child, in the local protocol (agent/local/README.md). */
import { constants } from 'node:os';
import type { EventMessage, SampleMessage, Severity } from '../local/protocol.js';
import type { ChildExit } from './restart-policy.js';

export interface ChildUsage {
  cpuPercent: number;
  rssBytes: number;
  threads: number;
  fds: number;
  uptimeS: number;
  restarts: number;
  reportsDropped: number;
}

/** Attribute values are capped by the protocol; a long command line is cut, never refused. */
const MAX_ATTR = 1024;

/**
 * `startTicks`: the child's start time in ticks since boot (lib/process-identity.ts), sent with
 * the pid in start and exit events so the brain keys "this process is alive" on the process, not
 * on a pid that a later process may reuse. Omitted where unknown (no /proc).
 */
export function startEvent(
  name: string,
  timeUs: number,
  pid: number,
  argv: readonly string[],
  restarts: number,
  startTicks?: number,
): EventMessage {
  const attrs: Record<string, string> = { pid: String(pid), command: argv.join(' ').slice(0, MAX_ATTR) };
  if (startTicks !== undefined) attrs['start_ticks'] = String(startTicks);
  return event(name, 'process.start', timeUs, 0, attrs, { pid, restarts });
}

export function exitEvent(
  name: string,
  timeUs: number,
  pid: number | undefined,
  exit: ChildExit,
  reason: string,
  expected: boolean,
  startTicks?: number,
): EventMessage {
  const attrs: Record<string, string> = { reason: reason.slice(0, MAX_ATTR) };
  if (pid !== undefined && startTicks !== undefined) attrs['start_ticks'] = String(startTicks);
  const values: Record<string, number> = { uptime_s: exit.uptimeMs / 1000 };
  if (pid !== undefined) {
    attrs['pid'] = String(pid);
    values['pid'] = pid;
  }
  if (exit.signal) {
    attrs['signal'] = exit.signal;
    values['signal'] = constants.signals[exit.signal] ?? 0;
  } else {
    attrs['exit_code'] = String(exit.code);
    values['exit_code'] = exit.code ?? -1;
  }
  const severity: Severity = expected || exit.code === 0 ? 0 : 2;
  return event(name, 'process.exit', timeUs, severity, attrs, values);
}

export function restartEvent(
  name: string,
  timeUs: number,
  reason: string,
  attempt: number,
  delayMs: number,
  restarts: number,
): EventMessage {
  return event(name, 'process.restart', timeUs, 1, { reason }, { attempt, delay_ms: delayMs, restarts });
}

export function giveUpEvent(name: string, timeUs: number, reason: string, restarts: number): EventMessage {
  return event(name, 'process.giveup', timeUs, 3, { reason }, { restarts });
}

export function usageSample(name: string, timeUs: number, usage: ChildUsage): SampleMessage {
  return {
    v: 1,
    type: 'sample',
    measurement: 'process',
    time_us: timeUs,
    tags: { process: name },
    fields: {
      cpu_percent: round2(usage.cpuPercent),
      rss_bytes: usage.rssBytes,
      threads: usage.threads,
      fds: usage.fds,
      uptime_s: round2(usage.uptimeS),
      restarts: usage.restarts,
      reports_dropped: usage.reportsDropped,
    },
  };
}

export function droppedSample(name: string, timeUs: number, dropped: number): SampleMessage {
  return { v: 1, type: 'sample', measurement: 'process', time_us: timeUs, tags: { process: name }, fields: { reports_dropped: dropped } };
}

function event(
  name: string,
  kind: string,
  timeUs: number,
  severity: Severity,
  attrs: Record<string, string>,
  values: Record<string, number>,
): EventMessage {
  return { v: 1, type: 'event', kind, time_us: Math.round(timeUs), tags: { process: name }, attrs, values, severity };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
