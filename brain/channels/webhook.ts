/**
 * The generic webhook: the notification POSTed with a deadline, as floorwatch's JSON (incident
 * tools) or as `{"text": …}` (a chat tool's incoming webhook: Mattermost, Rocket.Chat, Slack).
 * 2xx sent; 5xx, 408 and 429 retryable; other 4xx permanent (the receiver will not like the
 * same body better next time). node:http(s), not fetch: a private CA and a client certificate
 * (TLS options per channel) need an https.Agent, which fetch cannot take.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { systemClock, type Clock } from '../../lib/clock.js';
import { notificationKey, severityLabel, type Notification } from './notification.js';
import { gatewayFailed, rejected, sent, timedOut, unreachable, type Channel, type SendResult } from './channel.js';

export interface WebhookTls {
  /** PEM CA bundle the receiver's certificate must chain to (default: the system's). */
  readonly ca?: string;
  /** PEM client certificate and key, for a receiver that wants mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Name to verify the receiver's certificate against, when the URL's host is an address. */
  readonly servername?: string;
}

export interface WebhookOptions {
  readonly url: string;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** floorwatch: the JSON contract below; chat: `{"text": "SEV2 INC-42 …"}` for incoming webhooks. */
  readonly format?: 'floorwatch' | 'chat';
  readonly tls?: WebhookTls;
  /** How long this channel may keep failing before the route's next channel takes over (retry.ts). */
  readonly fallbackAfterMs?: number;
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
    ...(n.reason ? { reason: n.reason } : {}),
  };
}

/** One chat message: "SEV2 INC-42 page: feed handler A down @ ldn-1 (for Alice Ng) console: http://…". */
export function chatText(n: Notification): string {
  const kind = n.kind === 'page' && n.escalationStep > 0 ? `page, step ${n.escalationStep}` : n.kind;
  const links = n.links.map((l) => ` ${l.label}: ${l.url}`).join('');
  return `${severityLabel(n.severity)} ${n.incidentId} ${kind}: ${n.what} @ ${n.where} (for ${n.recipient.name})${links}`;
}

const MAX_ERROR_BODY = 512;

export class WebhookChannel implements Channel {
  readonly name = 'webhook';
  readonly fallbackAfterMs: number | undefined;
  readonly #opts: WebhookOptions;

  constructor(opts: WebhookOptions) {
    this.#opts = opts;
    this.fallbackAfterMs = opts.fallbackAfterMs;
  }

  async send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const clock = this.#opts.clock ?? systemClock;
    const timeoutMs = this.#opts.timeoutMs ?? 5_000;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(), timeoutMs);
    const onAbort = () => deadline.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const body = JSON.stringify(this.#opts.format === 'chat' ? { text: chatText(n) } : webhookBody(n));
      const headers = { 'content-type': 'application/json', 'idempotency-key': notificationKey(n), ...this.#opts.headers };
      const res = await post(this.#opts.url, headers, body, this.#opts.tls, deadline.signal);
      if (res.status >= 200 && res.status < 300) return sent(`HTTP ${res.status}`);
      const message = `HTTP ${res.status}: ${res.body}`;
      if (res.status >= 500 || res.status === 429 || res.status === 408) return gatewayFailed(message);
      return rejected(message);
    } catch (err) {
      if (deadline.signal.aborted) return timedOut(`no answer within ${timeoutMs} ms`, err);
      return unreachable(String(err), err);
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** One POST; resolves with the status and the start of the body, rejects on a network error or abort. */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  tls: WebhookTls | undefined,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal, agent: false as const };
    const onResponse = (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < MAX_ERROR_BODY) text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.slice(0, MAX_ERROR_BODY) }));
      res.on('error', reject);
    };
    const req =
      target.protocol === 'https:'
        ? httpsRequest(
            target,
            {
              ...options,
              ...(tls?.ca ? { ca: tls.ca } : {}),
              ...(tls?.cert ? { cert: tls.cert } : {}),
              ...(tls?.key ? { key: tls.key } : {}),
              ...(tls?.servername ? { servername: tls.servername } : {}),
            },
            onResponse,
          )
        : httpRequest(target, options, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}
