/**
 * Joins the outbox and the retry stage: a notification is made durable first, then delivered
 * over the channels its kind routes to, then marked sent (or abandoned). On start, whatever the
 * outbox still holds is delivered again, exactly like a fresh notification.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Channel } from '../channels/channel.js';
import type { Notification } from '../channels/notification.js';
import type { EnqueueResult, Outbox, OutboxEntry } from './outbox.js';
import { deliverWithFallback, type DeliveryEntry, type RetryPolicy } from './retry.js';

export interface DispatcherOptions {
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** The channel chain for a notification, e.g. page → [snpp, email], status → [email]. */
  readonly route: (n: Notification) => readonly Channel[];
  /** Every attempt, fallback and final outcome, with the notification it was for. */
  readonly onOutcome: (entry: DeliveryEntry, n: Notification) => void;
  /** The outbox could not make it durable (its disk failed): it is delivered all the same. */
  readonly onNotDurable?: (entry: OutboxEntry) => void;
  readonly random?: () => number;
  readonly log?: Logger;
  /**
   * Waits before the first attempt (a brain pair: until the secondary holds the outbox record);
   * resolves false to hold the notification in the outbox, undelivered.
   */
  readonly gate?: (entry: OutboxEntry) => Promise<boolean>;
  /** Asked before every attempt (retry.ts); false holds the notification. */
  readonly mayAct?: () => boolean;
}

export class Dispatcher {
  readonly #opts: DispatcherOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(opts: DispatcherOptions) {
    this.#opts = opts;
  }

  /** Delivers what a previous run left in the outbox; returns how many. */
  replay(): number {
    const pending = this.#opts.outbox.pending();
    for (const entry of pending) this.#deliver(entry);
    return pending.length;
  }

  /**
   * Durable before it returns; a known key is not sent again. A page must not wait for a failed
   * disk: what the outbox holds only in memory is delivered too (and reported).
   */
  dispatch(n: Notification): EnqueueResult {
    const result = this.#opts.outbox.enqueue(n);
    if (result.status === 'enqueued') {
      if (!result.durable) this.#opts.onNotDurable?.(result.entry);
      this.#deliver(result.entry);
    }
    return result;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when every delivery started so far has finished (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()]);
  }

  /** Stops waiting between retries; unfinished notifications stay in the outbox for the next start. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.idle();
  }

  #deliver(entry: OutboxEntry): void {
    if (this.#inFlight.has(entry.key)) return;
    const { outbox, clock, policy, onOutcome } = this.#opts;
    const gate = this.#opts.gate ? this.#opts.gate(entry) : Promise.resolve(true);
    const run = gate
      .then((open) =>
        open && !this.#stop.signal.aborted
          ? deliverWithFallback(entry.notification, this.#opts.route(entry.notification), {
              clock,
              policy,
              onOutcome: (e) => onOutcome(e, entry.notification),
              signal: this.#stop.signal,
              ...(this.#opts.random ? { random: this.#opts.random } : {}),
              ...(this.#opts.log ? { log: this.#opts.log } : {}),
              ...(this.#opts.mayAct ? { mayAct: this.#opts.mayAct } : {}),
            })
          : ({ status: 'held', why: 'gate closed' } as const),
      )
      .then((result) => {
        if (result.status === 'delivered') outbox.markSent(entry.key, result.channel);
        else if (result.status === 'abandoned' && !this.#stop.signal.aborted) outbox.markAbandoned(entry.key, result.why);
        // held: stays pending in the outbox (and on the pair's secondary), for whoever pages next
      })
      // A failed outbox write leaves the entry pending: the next start delivers it again.
      .catch((err: unknown) => this.#opts.log?.error({ key: entry.key, err: String(err) }, 'outbox update failed'))
      .finally(() => this.#inFlight.delete(entry.key));
    this.#inFlight.set(entry.key, run);
  }
}
