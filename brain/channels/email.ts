/**
 * The email channel: nodemailer over one pooled SMTP transport (a new connection per mail costs
 * ~100 ms against smtp-server's early-talker delay; pooled sends take a few ms).
 * The Message-ID is derived from the outbox key, so a receiver can drop the rare duplicate left
 * by a crash between the server's 250 and our "sent" record.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { notificationKey, type Notification } from './notification.js';
import { gatewayFailed, noAddress, rejected, sent, timedOut, unreachable, type Channel, type SendResult } from './channel.js';
import { renderMail } from './email-render.js';

export interface EmailOptions {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  /** SMTP over TLS from the first byte (port 465); otherwise STARTTLS when offered unless ignoreTLS. */
  readonly secure?: boolean;
  readonly ignoreTLS?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly maxConnections?: number;
  /** Applied to connect, greeting and each socket read. */
  readonly timeoutMs?: number;
  /** The domain in Message-IDs. */
  readonly messageIdDomain?: string;
  /** Reply-To of page mails: where a reply acknowledges the incident (brain/notify/reply-ack.ts). */
  readonly replyTo?: string;
  /** A token appended to the Message-ID, so a reply proves it answers the mail (brain/notify/reply-token.ts). */
  readonly signMessageId?: (local: string) => string;
}

export class EmailChannel implements Channel {
  readonly name = 'email';
  readonly #transport: Transporter<SMTPPool.SentMessageInfo>;
  readonly #opts: EmailOptions;

  constructor(opts: EmailOptions) {
    this.#opts = opts;
    const timeout = opts.timeoutMs ?? 10_000;
    this.#transport = createTransport({
      pool: true,
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      ignoreTLS: opts.ignoreTLS ?? false,
      maxConnections: opts.maxConnections ?? 2,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(opts.auth ? { auth: { user: opts.auth.user, pass: opts.auth.pass } } : {}),
    });
  }

  async send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const to = n.recipient.email;
    if (!to) return noAddress(`${n.recipient.id} has no email address`);
    if (signal.aborted) return timedOut('aborted before sending');
    const mail = renderMail(n);
    const sending = this.#transport.sendMail({
      from: this.#opts.from,
      to: { name: n.recipient.name, address: to },
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      ...(this.#opts.replyTo && n.kind === 'page' ? { replyTo: this.#opts.replyTo } : {}),
      messageId: this.#messageId(n),
      headers: {
        'X-Floorwatch-Incident': n.incidentId,
        'X-Floorwatch-Severity': `SEV${n.severity}`,
        'X-Floorwatch-Kind': n.kind,
        'X-Floorwatch-Escalation-Step': String(n.escalationStep),
      },
    });
    try {
      const info = await raceAbort(sending, signal);
      return sent(`${info.response} ${info.messageId}`);
    } catch (err) {
      return classify(err);
    }
  }

  #messageId(n: Notification): string {
    const local = notificationKey(n).replace(/[^A-Za-z0-9._-]/g, '.');
    const token = this.#opts.signMessageId?.(local);
    return `<${local}${token ? `.${token}` : ''}@${this.#opts.messageIdDomain ?? 'floorwatch.invalid'}>`;
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('aborted'), { code: 'ETIMEDOUT' }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function classify(err: unknown): SendResult {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const message = e.message ?? String(err);
  const code = e.responseCode;
  if (code !== undefined && code >= 500) return rejected(message, err);
  if (code !== undefined && code >= 400) return gatewayFailed(message, err);
  if (e.code === 'ETIMEDOUT') return timedOut(message, err);
  if (e.code === 'EAUTH') return rejected(message, err);
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') return unreachable(message, err);
  return gatewayFailed(message, err);
}
