/**
 * The generic webhook: the notification as JSON, POSTed with a deadline. 2xx sent; 5xx and 429
 * retryable; other 4xx permanent (the receiver will not like the same body better next time).
 */
import { systemClock, type Clock } from '../../lib/clock.js';
import { notificationKey, severityLabel, type Notification } from '../notify/notification.js';
import { gatewayFailed, rejected, sent, timedOut, unreachable, type Channel, type SendResult } from './channel.js';

export interface WebhookOptions {
  readonly url: string;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
}

/** The body's shape is a contract with chat and incident tools: add fields, never rename. */
export function webhookBody(n: Notification): Record<string, unknown> {
  return {
    version: 1,
    key: notificationKey(n),
    kind: n.kind,
    incidentId: n.incidentId,
    severity: severityLabel(n.severity),
    what: n.what,
    where: n.where,
    when: new Date(n.when).toISOString(),
    phase: n.phase,
    escalationStep: n.escalationStep,
    recipient: { id: n.recipient.id, name: n.recipient.name },
    rootCause: n.rootCause ?? null,
    links: n.links,
    timeline: n.timeline.map((e) => ({ at: new Date(e.at).toISOString(), text: e.text })),
  };
}

const MAX_ERROR_BODY = 512;

export class WebhookChannel implements Channel {
  readonly name = 'webhook';
  readonly #opts: WebhookOptions;

  constructor(opts: WebhookOptions) {
    this.#opts = opts;
  }

  async send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const clock = this.#opts.clock ?? systemClock;
    const timeoutMs = this.#opts.timeoutMs ?? 5_000;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(), timeoutMs);
    const onAbort = () => deadline.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await fetch(this.#opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': notificationKey(n), ...this.#opts.headers },
        body: JSON.stringify(webhookBody(n)),
        signal: deadline.signal,
      });
      const body = (await res.text()).slice(0, MAX_ERROR_BODY);
      if (res.ok) return sent(`HTTP ${res.status}`);
      const message = `HTTP ${res.status}: ${body}`;
      if (res.status >= 500 || res.status === 429 || res.status === 408) return gatewayFailed(message);
      return rejected(message);
    } catch (err) {
      if (deadline.signal.aborted) return timedOut(`no answer within ${timeoutMs} ms`, err);
      return unreachable(String((err as Error).cause ?? err), err);
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
