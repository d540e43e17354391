/**
 * The brain's own lag (issue #15): a short timer on the injected Clock notes how late each of its
 * ticks runs. Lateness is time the event loop was not attending (stopped by SIGSTOP, a long
 * synchronous block, a backlog of streams to read), so:
 *  - liveness judges agents' silence in attended time only (`stalledMsNow`): a brain that wakes
 *    from a stall does not call every agent silent before it has read what they sent meanwhile.
 *    Only ticks late by `stallMs` or more count there: a busy loop, late by tens of ms on every
 *    tick, is attending, and must not slow detection down;
 *  - a brain that is behind (more than `behindMs` of stalls within the last `windowMs`) says so
 *    itself: `brain.behind` (severity 3, tags {host}) and later `brain.caught_up`, which
 *    rules/brain.yaml turns into the BrainBehind incident;
 *  - the lateness is on /metrics (floorwatch_brain_loop_*).
 *
 * A brain descheduled by other work on its host is not behind for paging (#19), as a plant
 * component alive but descheduled is not a lost heartbeat: with `sched` (the main thread's
 * /proc schedstat, which the brain passes) the part of a stall the thread spent waiting for a
 * CPU (runnable, on the run queue) counts as descheduled, not towards behind. What counts is
 * the rest: the thread running (a long synchronous block, a backlog it cannot keep up with) or
 * neither running nor waiting (SIGSTOP, a VM pause). Beside two CPU hogs and other work the
 * demo brain's main thread waited for a CPU a third of the time, in stalls of 250–600 ms, and
 * paged BrainBehind on a healthy floor. Descheduled stalls adding up to `behindMs` within the
 * window publish `brain.descheduled` (info, no alert) and are on /metrics.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock, Timer } from '../../lib/clock.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { EventLog } from './event-log.js';

export interface LoopWatchOptions {
  clock: Clock;
  events: EventLog;
  host: string;
  /** The watch's tick. Default 100 ms. */
  tickMs?: number;
  /** Stalls (ticks `stallMs` or more late) within `windowMs` from which the brain is behind. Default 2,000 ms. */
  behindMs?: number;
  /** Default 5,000 ms. */
  windowMs?: number;
  /** A tick this late is a stall (its lateness is not attended time). Default 250 ms. */
  stallMs?: number;
  /** Where the lateness and the loop's delay (node's histogram, p99 and max of the last complete 10 s) are exported. */
  metrics?: MetricsRegistry;
  /**
   * From its construction (again from `start()`), stalls count for liveness but not towards behind for this long: a brain
   * starting is busy by nature (its journal, agents reconnecting and replaying their queues; in
   * the demo its own floor starting on the same loop). Default 0.
   */
  graceMs?: number;
  /** The event-loop thread's CPU time and run-queue wait so far, ms (`threadSchedTimes`); absent: every stall counts. */
  sched?: () => SchedTimes | undefined;
}

/** A thread's time on a CPU and time runnable but waiting for one, ms since it started. */
export interface SchedTimes {
  runMs: number;
  waitMs: number;
}

/** The calling thread's /proc schedstat (ns on Linux), or undefined where the kernel has none. */
export function threadSchedTimes(): SchedTimes | undefined {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ');
    const times = { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
    return Number.isFinite(times.runMs) && Number.isFinite(times.waitMs) ? times : undefined;
  } catch {
    return undefined;
  }
}

/** How long stalls are remembered for `stalledSinceMs` (longer than any rule's `max_age` needs). */
const STALL_HISTORY_MS = 60_000;

export class LoopWatch {
  readonly #clock: Clock;
  readonly #events: EventLog;
  readonly #host: string;
  readonly #tickMs: number;
  readonly #behindMs: number;
  readonly #windowMs: number;
  readonly #stallMs: number;
  readonly #sched: (() => SchedTimes | undefined) | undefined;
  readonly #graceMs: number;
  #graceUntil = 0;
  #lastSched: SchedTimes | undefined;
  #timer: Timer | undefined;
  #lastTick: number;
  /** Lateness of recent ticks, [monotonic ms, late ms], oldest first, within the window. */
  readonly #recent: [number, number][] = [];
  #recentSum = 0;
  #behindSince: number | undefined;
  /** Descheduled parts of recent stalls, [monotonic ms, ms], within the window. */
  readonly #descheduled: [number, number][] = [];
  #descheduledSum = 0;
  #descheduledSince: number | undefined;
  readonly #histogram = monitorEventLoopDelay({ resolution: 10 });
  #delayTimer: Timer | undefined;
  #delayP99Ms = 0;
  #delayMaxMs = 0;
  /** Every tick's lateness added up since start. */
  lateMs = 0;
  /** The lateness of ticks late by `stallMs` or more, added up: time the loop was not attending. */
  stalledMs = 0;
  /**
   * Recent stalls as [wall-clock ms when the stall ended, ms], oldest first, for `stalledSinceMs`:
   * at most one per tick, kept `STALL_HISTORY_MS` (bounded by construction: no drop to count).
   */
  readonly #stallsByWall: [number, number][] = [];
  /** The largest single lateness since start (a stall). */
  maxLateMs = 0;
  /** Times the brain went behind. */
  behindCount = 0;
  /** The part of stalls the loop's thread was runnable but waiting for a CPU (other work on the host): not behind. */
  descheduledMs = 0;

  constructor(o: LoopWatchOptions) {
    this.#clock = o.clock;
    this.#events = o.events;
    this.#host = o.host;
    this.#tickMs = o.tickMs ?? 100;
    this.#behindMs = o.behindMs ?? 2_000;
    this.#windowMs = o.windowMs ?? 5_000;
    this.#stallMs = o.stallMs ?? 250;
    this.#sched = o.sched;
    this.#graceMs = o.graceMs ?? 0;
    this.#graceUntil = o.clock.monotonic() + this.#graceMs;
    this.#lastSched = this.#sched?.();
    this.#lastTick = o.clock.monotonic();
    const m = o.metrics;
    if (!m) return;
    m.gaugeFn(
      'floorwatch_brain_loop_delay_p99_seconds',
      "The brain's event-loop delay, p99 over the last complete 10 s.",
      () => this.#delayP99Ms / 1000,
    );
    m.gaugeFn(
      'floorwatch_brain_loop_delay_max_seconds',
      "The brain's event-loop delay, max over the last complete 10 s.",
      () => this.#delayMaxMs / 1000,
    );
    m.counterFn(
      'floorwatch_brain_loop_late_seconds_total',
      "Time the brain's event loop ran late (busy, stalled, blocked, behind a backlog).",
      () => this.lateMs / 1000,
    );
    m.counterFn(
      'floorwatch_brain_loop_stalled_seconds_total',
      "Time the brain's event loop stalled (ticks 250 ms or more late): liveness does not count it as agents' silence.",
      () => this.stalledMs / 1000,
    );
    m.counterFn(
      'floorwatch_brain_loop_descheduled_seconds_total',
      "Part of the brain's event-loop stalls its thread spent runnable, waiting for a CPU (other work on the host): not counted as behind.",
      () => this.descheduledMs / 1000,
    );
    m.gaugeFn('floorwatch_brain_behind', '1 while the brain is behind (brain.behind published, BrainBehind firing).', () =>
      this.behind ? 1 : 0,
    );
    m.counterFn('floorwatch_brain_behind_total', 'Times the brain went behind.', () => this.behindCount);
  }

  start(): void {
    this.#lastTick = this.#clock.monotonic();
    this.#graceUntil = this.#lastTick + this.#graceMs;
    this.#lastSched = this.#sched?.();
    this.#timer = this.#clock.setInterval(() => this.tick(), this.#tickMs);
    this.#histogram.enable();
    this.#delayTimer = this.#clock.setInterval(() => {
      this.#delayP99Ms = this.#histogram.percentile(99) / 1e6;
      this.#delayMaxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
    }, 10_000);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#delayTimer?.cancel();
    this.#histogram.disable();
  }

  get behind(): boolean {
    return this.#behindSince !== undefined;
  }

  /** Lateness within the window, ms. */
  get recentLateMs(): number {
    return this.#recentSum;
  }

  /**
   * `stalledMs` up to this moment: with the lateness of a tick that is due and has not run yet
   * (the liveness check that runs first after a stall still sees the stall).
   */
  stalledMsNow(): number {
    const pending = this.#clock.monotonic() - this.#lastTick - this.#tickMs;
    return this.stalledMs + (pending >= this.#stallMs ? pending : 0);
  }

  /**
   * How much of the wall-clock time since `atMs` this loop stalled (did not attend), the stall
   * still running included. A value's age less this is the age the brain could have seen: a
   * sample that looks 4 s old after the brain's own 2 s stall (a new primary's start, a GC) was
   * 2 s old when the brain last looked (a threshold rule's `max_age`, issue #16). Stalls
   * older than `STALL_HISTORY_MS` are forgotten: a value that old is stale whatever the brain did.
   */
  stalledSinceMs(atMs: number): number {
    const wallNow = this.#clock.now();
    const pending = this.#clock.monotonic() - this.#lastTick - this.#tickMs;
    // Before start() there are no ticks: nothing is pending.
    let ms = this.#timer && pending >= this.#stallMs ? Math.max(0, Math.min(pending, wallNow - atMs)) : 0;
    for (let i = this.#stallsByWall.length - 1; i >= 0; i--) {
      const [end, late] = this.#stallsByWall[i]!;
      if (end <= atMs) break;
      ms += Math.min(late, end - atMs);
    }
    return ms;
  }

  tick(): void {
    const now = this.#clock.monotonic();
    const late = Math.max(0, now - this.#lastTick - this.#tickMs);
    if (late >= this.#stallMs) {
      const wallNow = this.#clock.now();
      this.#stallsByWall.push([wallNow, late]);
      while (this.#stallsByWall[0]![0] < wallNow - STALL_HISTORY_MS) this.#stallsByWall.shift();
    }
    this.#lastTick = now;
    const sched = this.#sched?.();
    const waitedMs = sched && this.#lastSched ? Math.max(0, sched.waitMs - this.#lastSched.waitMs) : 0;
    this.#lastSched = sched;
    this.lateMs += late;
    if (late >= this.#stallMs) this.stalledMs += late;
    if (late > this.maxLateMs) this.maxLateMs = late;
    // Only stalls count towards being behind: a loop that merely shares a busy machine runs every
    // tick a little late (tens of ms beside two CPU hogs) and delays nothing a page depends on.
    // Of a stall, only what the thread did not spend waiting for a CPU.
    if (late >= this.#stallMs && now >= this.#graceUntil) {
      const descheduled = Math.min(late, waitedMs);
      this.descheduledMs += descheduled;
      if (late > descheduled) {
        this.#recent.push([now, late - descheduled]);
        this.#recentSum += late - descheduled;
      }
      if (descheduled > 0) {
        this.#descheduled.push([now, descheduled]);
        this.#descheduledSum += descheduled;
      }
    }
    this.#recentSum = expire(this.#recent, this.#recentSum, now - this.#windowMs);
    this.#descheduledSum = expire(this.#descheduled, this.#descheduledSum, now - this.#windowMs);
    if (this.#behindSince === undefined && this.#recentSum >= this.#behindMs) {
      this.#behindSince = now - this.#recentSum;
      this.behindCount++;
      this.#events.brainEvent(
        'brain.behind',
        { host: this.#host },
        { late_ms: Math.round(this.#recentSum), descheduled_ms: Math.round(this.#descheduledSum), window_ms: this.#windowMs },
        3,
      );
    } else if (this.#behindSince !== undefined && this.#recentSum < this.#behindMs / 4) {
      const behindFor = now - this.#behindSince;
      this.#behindSince = undefined;
      this.#events.brainEvent('brain.caught_up', { host: this.#host }, { behind_ms: Math.round(behindFor) }, 0);
    }
    if (this.#descheduledSince === undefined && this.#descheduledSum >= this.#behindMs) {
      this.#descheduledSince = now;
      this.#events.brainEvent(
        'brain.descheduled',
        { host: this.#host },
        { descheduled_ms: Math.round(this.#descheduledSum), window_ms: this.#windowMs },
        1,
      );
    } else if (this.#descheduledSince !== undefined && this.#descheduledSum < this.#behindMs / 4) this.#descheduledSince = undefined;
  }
}

/** Drops entries older than `since` from a window; its new sum (0 when empty: no float drift). */
function expire(window: [number, number][], sum: number, since: number): number {
  while (window.length && window[0]![0] < since) sum -= window.shift()![1];
  return window.length === 0 ? 0 : sum;
}
