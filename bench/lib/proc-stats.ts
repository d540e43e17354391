/** What a benchmark reads about another process (or itself) from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds used by every thread of a process, from the scheduler's own accounting
 * (/proc/PID/task/TID/schedstat, ns). utime+stime are sampled at 100 Hz ticks and misjudge a
 * process that wakes briefly: at well under 1 % of a core that error dominates.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread ended between readdir and read
    }
  }
  return ns / 1e9;
}

/** Resident memory now (VmRSS), MB. */
export function rssMb(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024;
}

/** Peak resident memory since the process started (VmHWM), MB. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

function statusKb(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
