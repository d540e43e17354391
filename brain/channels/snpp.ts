/**
 * The alphanumeric pager channel: an RFC 1861 SNPP client. One connection per page:
 * [LOGI] [SITE JQUEUE yes] PAGE <id> / MESS <text> / SEND / QUIT.
 * Reply codes map onto SendResult: 2xx sent; 421, 554 and other 4xx retryable (the gateway is
 * struggling); 550 (pager id rejected, message too long) and other 5xx permanent; connection
 * refused retryable as unreachable; no answer in time retryable as timeout.
 */
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Notification } from './notification.js';
import { gatewayFailed, noAddress, rejected, sent, timedOut, unreachable, type Channel, type SendResult } from './channel.js';
import { pagerText, type PagerTextOptions } from './pager-text.js';
import { SnppSession, SnppTransportError, type SnppReply } from './snpp-session.js';

export interface SnppOptions {
  readonly host: string;
  /** RFC 1861's port is 444. */
  readonly port: number;
  /** hfaxd requires LOGI before PAGE; plain RFC 1861 gateways do not. */
  readonly login?: { readonly user: string; readonly password?: string };
  /**
   * HylaFAX hfaxd only: `SITE JQUEUE yes` makes SEND answer once the page is queued. Without it
   * SEND blocks until the page is delivered (minutes without a modem).
   */
  readonly hylafaxQueue?: boolean;
  readonly connectTimeoutMs?: number;
  readonly replyTimeoutMs?: number;
  readonly text: PagerTextOptions;
  readonly clock?: Clock;
}

export interface SnppPage {
  readonly pagerId: string;
  readonly message: string;
}

export class SnppChannel implements Channel {
  readonly name = 'snpp';
  readonly #opts: SnppOptions;

  constructor(opts: SnppOptions) {
    this.#opts = opts;
  }

  async send(n: Notification, signal: AbortSignal): Promise<SendResult> {
    const pagerId = n.recipient.pager;
    if (!pagerId) return noAddress(`${n.recipient.id} has no pager id`);
    return sendPage(this.#opts, { pagerId, message: pagerText(n, this.#opts.text) }, signal);
  }
}

/** One SNPP conversation; never throws. */
export async function sendPage(opts: Omit<SnppOptions, 'text'>, page: SnppPage, signal: AbortSignal): Promise<SendResult> {
  const clock = opts.clock ?? systemClock;
  let session: SnppSession | undefined;
  try {
    session = await SnppSession.open({
      host: opts.host,
      port: opts.port,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
      replyTimeoutMs: opts.replyTimeoutMs ?? 10_000,
      clock,
      signal,
    });
    const step = async (reply: Promise<SnppReply>, what: string): Promise<SnppReply> => {
      const r = await reply;
      if (r.code < 200 || r.code >= 300) throw new SnppReplyError(what, r);
      return r;
    };
    await step(session.reply(signal), 'greeting');
    if (opts.login) {
      const user = [opts.login.user, opts.login.password].filter((p) => p !== undefined).join(' ');
      await step(session.command(`LOGI ${user}`, signal), 'LOGI');
    }
    if (opts.hylafaxQueue) await step(session.command('SITE JQUEUE yes', signal), 'SITE JQUEUE');
    const accepted = await step(session.command(`PAGE ${singleToken(page.pagerId)}`, signal), 'PAGE');
    await step(session.command(`MESS ${page.message}`, signal), 'MESS');
    const queued = await step(session.command('SEND', signal), 'SEND');
    // The page is the gateway's now; a failed QUIT changes nothing about that.
    await session.command('QUIT', signal).catch(() => undefined);
    return sent(`${accepted.text} / ${queued.text}`);
  } catch (err) {
    return classify(err);
  } finally {
    session?.close();
  }
}

class SnppReplyError extends Error {
  constructor(
    readonly step: string,
    readonly reply: SnppReply,
  ) {
    super(`${step}: ${reply.lines.join(' | ')}`);
  }
}

function classify(err: unknown): SendResult {
  if (err instanceof SnppReplyError) {
    const code = err.reply.code;
    const retryable = code === 421 || code === 554 || (code >= 400 && code < 500);
    return retryable ? gatewayFailed(err.message, err) : rejected(err.message, err);
  }
  if (err instanceof SnppTransportError) {
    switch (err.kind) {
      case 'unreachable':
        return unreachable(err.message, err);
      case 'timeout':
        return timedOut(err.message, err);
      default:
        return gatewayFailed(err.message, err);
    }
  }
  return gatewayFailed(String(err), err);
}

/** A pager id is one token: a space or line break would smuggle a second argument or command. */
function singleToken(id: string): string {
  if (!/^[\x21-\x7e]+$/.test(id))
    throw new SnppReplyError('PAGE', {
      code: 550,
      lines: ['550 pager id is not a single printable token'],
      text: '550 pager id is not a single printable token',
    });
  return id;
}
