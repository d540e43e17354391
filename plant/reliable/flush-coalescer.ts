/**
 * Flushes many senders together, at most once every `coalesceMs`. A ticker plant sends every
 * datagram once per desk, and a datagram costs a few microseconds of syscall and event-loop
 * work however few records it holds, so at high rates fewer, fuller datagrams are what lets
 * one process feed ten desks. After a quiet spell the first flush still goes at the end of the
 * event-loop turn: only a busy stream waits, and never longer than `coalesceMs`.
 */
import type { Clock } from '../../lib/clock.js';

export class FlushCoalescer {
  #queued: (() => void)[] = [];
  #armed = false;
  #lastFlushAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly coalesceMs: number,
  ) {}

  /** The `scheduleFlush` of a SequencedSender. */
  readonly schedule = (flush: () => void): void => {
    this.#queued.push(flush);
    if (this.#armed) return;
    this.#armed = true;
    const wait = this.#lastFlushAt + this.coalesceMs - this.clock.monotonic();
    if (wait <= 0) setImmediate(this.#run);
    else this.clock.setTimeout(this.#run, wait);
  };

  readonly #run = (): void => {
    this.#armed = false;
    this.#lastFlushAt = this.clock.monotonic();
    const queued = this.#queued;
    this.#queued = [];
    for (const flush of queued) flush();
  };
}
