/**
 * The only place that reads wall time or schedules timers. Every module with time logic takes a
 * Clock in its options, so schedules, escalations and for-durations are tested on a fake clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Microseconds since the Unix epoch (sample timestamps). */
  nowUs(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export interface Timer {
  cancel(): void;
}

const originUs = Date.now() * 1000 - performance.now() * 1000;

export const systemClock: Clock = {
  now: () => Date.now(),
  // Derived from the monotonic clock so µs timestamps within one process never go backwards.
  nowUs: () => Math.round(originUs + performance.now() * 1000),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};

/**
 * Milliseconds on the kernel's monotonic clock, one clock for every thread of the process: a time
 * one thread stamps, another can subtract from its own reading (the ingest worker's hand-over,
 * brain/start/handover-lag.ts). performance.now() counts from each thread's own start and a
 * Clock may be a test's fake, so neither can measure time between threads.
 */
export const processMonotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A clock that only moves when told to; timers fire in due order inside advance(). */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; every?: number; id: number }[] = [];
  #nextId = 0;

  constructor(startMs = Date.UTC(2026, 10, 23, 8, 0, 0)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }
  nowUs(): number {
    return this.#now * 1000;
  }
  monotonic(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms);
  }
  setInterval(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#now = next.at;
      if (next.every) next.at += next.every;
      else this.#timers.shift();
      next.fn();
    }
    this.#now = end;
  }

  #add(fn: () => void, ms: number, every?: number): Timer {
    const timer = { at: this.#now + Math.max(0, ms), fn, id: this.#nextId++, ...(every ? { every } : {}) };
    this.#timers.push(timer);
    return { cancel: () => (this.#timers = this.#timers.filter((t) => t !== timer)) };
  }
}
