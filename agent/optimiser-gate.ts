/**
 * V8's optimising compiler (TurboFan) stays off while the agent idles and comes on, for good,
 * the first time the agent has real work. Idle, the agent's code runs a few times a second and
 * is never worth optimising, yet optimising anything (start-up code is enough) pages in the
 * compiler's machine code and zone memory: ~5 MB of the agent's RSS (docs/benchmarks.md,
 * "Where the agent's memory goes"). A log burst or a busy local socket does need it: the log
 * rules' throughput is that of optimised code.
 */
import { setFlagsFromString } from 'node:v8';
import type { Clock } from '../lib/clock.js';

let deferred = false;

/** Called by `floorwatch agent` before the agent's modules load. */
export function deferOptimisingCompiler(): void {
  setFlagsFromString('--no-opt');
  deferred = true;
}

/**
 * Busy means above `busyShare` of one core for `busyIntervals` intervals in a row: the agent's
 * first scan of /proc, or a burst of new processes, is a second or two of work, not a reason.
 */
export class OptimiserGate {
  readonly #clock: Clock;
  readonly #busyShare: number;
  readonly #busyIntervals: number;
  #busyInARow = 0;
  #lastCpuUs = 0;
  #lastMs: number | undefined;

  constructor(clock: Clock, opts: { busyShare?: number; busyIntervals?: number } = {}) {
    this.#clock = clock;
    this.#busyShare = opts.busyShare ?? 0.05;
    this.#busyIntervals = opts.busyIntervals ?? 3;
  }

  /**
   * A burst of work known as such (a log backlog read at start or after a rotation): on at once,
   * not after busyIntervals of it (the agent's whole read of a 256 MB backlog took less). True the
   * one time it turns the compiler on.
   */
  busyNow(): boolean {
    if (!deferred) return false;
    setFlagsFromString('--opt');
    deferred = false;
    return true;
  }

  /** Once per interval; true the one time it turns the compiler on. */
  check(): boolean {
    if (!deferred) return false;
    const { user, system } = process.cpuUsage();
    const cpuUs = user + system;
    const nowMs = this.#clock.monotonic();
    const busy = this.#lastMs !== undefined && (cpuUs - this.#lastCpuUs) / 1000 > this.#busyShare * (nowMs - this.#lastMs);
    this.#lastCpuUs = cpuUs;
    this.#lastMs = nowMs;
    this.#busyInARow = busy ? this.#busyInARow + 1 : 0;
    if (this.#busyInARow < this.#busyIntervals) return false;
    setFlagsFromString('--opt');
    deferred = false;
    return true;
  }
}
