/**
 * Becoming primary without starving the role node (issue #16). A brain elected primary must renew
 * its lease every heartbeat on this same event loop; starting alerting, history and paging in one
 * synchronous step took 1.6–3.2 s on a busy 2-core box, far past the packaged lease (360 ms), so the
 * new primary's lease lapsed during its own start and the pair flapped. The start therefore runs as
 * named steps with a turn of the event loop between them (timers and datagrams are served), and
 * each step is measured:
 *  - `wallMs`: how long the step held the loop (what the lease sees; on a busy box it includes
 *    time the thread waited for a CPU);
 *  - `cpuMs`: the thread's own CPU time in the step (/proc schedstat): the part that is ours,
 *    which the host's load does not inflate much; a test can hold it under the lease on any box.
 * The longest event-loop delay from the election until `settleMs` after the last step (agents
 * reconnecting and replaying their queues are part of a take-over's load) is taken from node's
 * own histogram (`monitorEventLoopDelay`).
 */
import type { IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '../../lib/clock.js';
import type { SchedTimes } from '../state/loop-watch.js';

export interface StepTime {
  readonly name: string;
  readonly wallMs: number;
  /** Undefined where the thread's CPU time is not readable (no /proc). */
  readonly cpuMs: number | undefined;
}

/** Runs a step; a step runner that does not yield (a single brain) is `runNow`. */
export type StepRunner = <T>(name: string, fn: () => T) => Promise<T>;

export const runNow: StepRunner = (_name, fn) => Promise.resolve(fn());

/** One turn of the event loop: timers (heartbeats, renewals) and I/O (their answers) run before we go on. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface TakeoverReport {
  /** Election to the last step done. */
  readonly startMs: number;
  readonly steps: readonly StepTime[];
  /** The longest single step, by its time on the loop. */
  readonly longestStep: StepTime | undefined;
  /** The most CPU time one step took (undefined without schedstat). */
  readonly longestStepCpuMs: number | undefined;
  /** node's event-loop delay histogram, max from the election to the end of the settle window. */
  readonly longestBlockMs: number;
}

export class TakeoverSteps {
  readonly #clock: Clock;
  readonly #sched: (() => SchedTimes | undefined) | undefined;
  readonly #histogram: IntervalHistogram | undefined;
  readonly #began: number;
  readonly #steps: StepTime[] = [];

  /**
   * `histogram`: node's event-loop delay histogram, enabled before the election (its first
   * sample after enable() records nothing, so one enabled here would miss a block that follows
   * at once); reset here. Undefined on a fake clock (its loop is not the thread's).
   */
  constructor(o: { clock: Clock; sched?: () => SchedTimes | undefined; histogram: IntervalHistogram | undefined }) {
    this.#clock = o.clock;
    this.#sched = o.sched;
    this.#began = o.clock.monotonic();
    this.#histogram = o.histogram;
    this.#histogram?.reset();
  }

  /** Yields to the event loop, then runs `fn` synchronously and records its time. */
  readonly run: StepRunner = async (name, fn) => {
    await yieldToLoop();
    const before = this.#sched?.();
    const t0 = this.#clock.monotonic();
    try {
      return fn();
    } finally {
      const after = this.#sched?.();
      this.#steps.push({
        name,
        wallMs: round(this.#clock.monotonic() - t0),
        cpuMs: before && after ? round(after.runMs - before.runMs) : undefined,
      });
    }
  };

  /** The start is done: the report, once the settle window has passed too. */
  async finish(settleMs: number): Promise<TakeoverReport> {
    const startMs = round(this.#clock.monotonic() - this.#began);
    if (this.#histogram && settleMs > 0) await new Promise<void>((r) => this.#clock.setTimeout(r, settleMs));
    // The steps' own blocks too: a block at the very end of the settle window has no sample yet.
    const longestBlockMs = round(Math.max(this.#histogram ? this.#histogram.max / 1e6 : 0, ...this.#steps.map((s) => s.wallMs)));
    const longestStep = this.#steps.reduce<StepTime | undefined>((a, s) => (!a || s.wallMs > a.wallMs ? s : a), undefined);
    const cpu = this.#steps.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
    return { startMs, steps: [...this.#steps], longestStep, longestStepCpuMs: cpu.length ? Math.max(...cpu) : undefined, longestBlockMs };
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
