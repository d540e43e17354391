/**
 * Delivery of one notification over an ordered list of channels (pager → email): retries with
 * exponential backoff and jitter on the injected clock; when a channel keeps failing for
 * `fallbackAfterMs`, or refuses for good, the next channel takes over. The last channel keeps
 * trying until `giveUpAfterMs`. Every attempt, fallback and final outcome is reported through
 * `onOutcome`, in order, for the incident timeline.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Channel, FailureReason, SendResult } from '../channels/channel.js';
import { notificationKey, type Notification, type NotificationKind, type NotifyReason } from '../channels/notification.js';

export interface RetryPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
  /** 0.2 spreads each wait over ±20 %, so pages queued together do not retry in lockstep. */
  readonly jitter: number;
  /** How long a channel may keep failing before the next channel is tried. */
  readonly fallbackAfterMs: number;
  /** How long the last channel may keep failing before the notification is abandoned. */
  readonly giveUpAfterMs: number;
  /** Deadline of a single attempt. */
  readonly attemptTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  initialBackoffMs: 2_000,
  maxBackoffMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
  fallbackAfterMs: 60_000,
  giveUpAfterMs: 3_600_000,
  attemptTimeoutMs: 15_000,
};

export type DeliveryEntry =
  | {
      readonly type: 'attempt';
      readonly key: string;
      readonly incidentId: string;
      readonly channel: string;
      readonly attempt: number;
      readonly at: number;
      readonly outcome: 'sent' | 'failed';
      readonly reason?: FailureReason;
      readonly retryable?: boolean;
      readonly detail: string;
    }
  | {
      readonly type: 'fallback';
      readonly key: string;
      readonly incidentId: string;
      readonly from: string;
      readonly to: string;
      readonly at: number;
      readonly why: string;
    }
  | {
      readonly type: 'delivered';
      readonly key: string;
      readonly incidentId: string;
      readonly channel: string;
      readonly at: number;
      readonly kind: NotificationKind;
      readonly step: number;
      /** When the incident opened (the notification's `when`), for the page latency. */
      readonly openedAt: number;
      readonly reason?: NotifyReason;
    }
  | { readonly type: 'abandoned'; readonly key: string; readonly incidentId: string; readonly at: number; readonly why: string };

export type DeliveryResult =
  | { readonly status: 'delivered'; readonly channel: string }
  | { readonly status: 'abandoned'; readonly why: string }
  /** Not attempted: this brain may not page now (a brain pair's secondary); it stays in the outbox. */
  | { readonly status: 'held'; readonly why: string };

export interface DeliverOptions {
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  readonly onOutcome: (entry: DeliveryEntry) => void;
  /** Stops waiting between attempts (brain shutdown); the outbox replays on the next start. */
  readonly signal: AbortSignal;
  readonly random?: () => number;
  readonly log?: Logger;
  /**
   * Asked immediately before every attempt (a brain pair: "am I primary, is my lease live on the
   * monotonic clock?"); false: the notification is held, not attempted, not given up.
   */
  readonly mayAct?: () => boolean;
}

export async function deliverWithFallback(n: Notification, channels: readonly Channel[], opts: DeliverOptions): Promise<DeliveryResult> {
  const key = notificationKey(n);
  const ids = { key, incidentId: n.incidentId };
  const { clock, policy } = opts;
  let why = 'no channel for this notification';
  for (let ci = 0; ci < channels.length; ci++) {
    const channel = channels[ci]!;
    const isLast = ci === channels.length - 1;
    const limit = isLast ? policy.giveUpAfterMs : (channel.fallbackAfterMs ?? policy.fallbackAfterMs);
    const firstAttemptAt = clock.now();
    let backoff = policy.initialBackoffMs;
    let lastError = '';
    for (let attempt = 1; ; attempt++) {
      if (opts.mayAct && !opts.mayAct()) return { status: 'held', why: 'this brain may not page now (not the primary of its pair)' };
      const result = await attemptOnce(channel, n, opts);
      opts.onOutcome({ type: 'attempt', ...ids, channel: channel.name, attempt, at: clock.now(), ...describe(result) });
      if (result.status === 'sent') {
        const why = n.reason ? { reason: n.reason } : {};
        opts.onOutcome({
          type: 'delivered',
          ...ids,
          channel: channel.name,
          at: clock.now(),
          kind: n.kind,
          step: n.escalationStep,
          openedAt: n.when,
          ...why,
        });
        return { status: 'delivered', channel: channel.name };
      }
      if (result.error.message !== lastError) {
        // Logged once per distinct error, not once per attempt.
        opts.log?.warn({ key, channel: channel.name, reason: result.reason, err: result.error.message }, 'notification attempt failed');
        lastError = result.error.message;
      }
      const elapsed = clock.now() - firstAttemptAt;
      if (!result.retryable) {
        why = `${channel.name} refused: ${result.error.message}`;
        break;
      }
      if (elapsed >= limit) {
        why = `${channel.name} kept failing for ${Math.round(elapsed / 1000)} s: ${result.error.message}`;
        break;
      }
      const wait = Math.min(withJitter(backoff, policy.jitter, opts.random ?? Math.random), limit - elapsed);
      backoff = Math.min(backoff * policy.multiplier, policy.maxBackoffMs);
      if (!(await sleep(clock, wait, opts.signal))) return { status: 'abandoned', why: 'shutting down (the outbox will replay it)' };
    }
    const next = channels[ci + 1];
    if (next) opts.onOutcome({ type: 'fallback', ...ids, from: channel.name, to: next.name, at: clock.now(), why });
  }
  opts.onOutcome({ type: 'abandoned', ...ids, at: clock.now(), why });
  return { status: 'abandoned', why };
}

async function attemptOnce(channel: Channel, n: Notification, opts: DeliverOptions): Promise<SendResult> {
  const deadline = new AbortController();
  const timer = opts.clock.setTimeout(() => deadline.abort(), opts.policy.attemptTimeoutMs);
  const onAbort = () => deadline.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await channel.send(n, deadline.signal);
  } finally {
    timer.cancel();
    opts.signal.removeEventListener('abort', onAbort);
  }
}

function describe(r: SendResult): { outcome: 'sent' | 'failed'; reason?: FailureReason; retryable?: boolean; detail: string } {
  return r.status === 'sent'
    ? { outcome: 'sent', detail: r.detail }
    : { outcome: 'failed', reason: r.reason, retryable: r.retryable, detail: r.error.message };
}

function withJitter(ms: number, jitter: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}

/** Resolves true after ms on the clock, false if aborted first. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
