/**
 * Joins the outbox and the retry stage: a notification is made durable first, then delivered
 * over the channels its kind routes to, then marked sent (or abandoned). On start, whatever the
 * outbox still holds is delivered again, exactly like a fresh notification.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Channel } from '../channels/channel.js';
import type { Notification } from './notification.js';
import type { EnqueueResult, Outbox, OutboxEntry } from './outbox.js';
import { deliverWithFallback, type DeliveryEntry, type RetryPolicy } from './retry.js';

export interface DispatcherOptions {
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** The channel chain for a notification, e.g. page → [snpp, email], status → [email]. */
  readonly route: (n: Notification) => readonly Channel[];
  readonly onOutcome: (entry: DeliveryEntry) => void;
  readonly random?: () => number;
  readonly log?: Logger;
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

  /** Durable before it returns; a known key is not sent again. */
  dispatch(n: Notification): EnqueueResult {
    const result = this.#opts.outbox.enqueue(n);
    if (result.status === 'enqueued') this.#deliver(result.entry);
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
    const run = deliverWithFallback(entry.notification, this.#opts.route(entry.notification), {
      clock,
      policy,
      onOutcome,
      signal: this.#stop.signal,
      ...(this.#opts.random ? { random: this.#opts.random } : {}),
      ...(this.#opts.log ? { log: this.#opts.log } : {}),
    })
      .then((result) => {
        if (result.status === 'delivered') outbox.markSent(entry.key, result.channel);
        else if (!this.#stop.signal.aborted) outbox.markAbandoned(entry.key, result.why);
      })
      // A failed outbox write leaves the entry pending: the next start delivers it again.
      .catch((err: unknown) => this.#opts.log?.error({ key: entry.key, err: String(err) }, 'outbox update failed'))
      .finally(() => this.#inFlight.delete(entry.key));
    this.#inFlight.set(entry.key, run);
  }
}
