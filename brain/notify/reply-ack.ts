/**
 * Acknowledgement by replying to a page mail: a small inbound SMTP listener (smtp-server), bound
 * to loopback unless configured otherwise (the floor's mail relay delivers to it). A reply
 * acknowledges only when all of these hold (judgeReply):
 *   - its In-Reply-To (or References) names a page mail, with the page's token
 *     (reply-token.ts: an HMAC only the mail's recipients have seen);
 *   - the token is right for that page;
 *   - the envelope sender is the paged person's own address in the on-call files;
 *   - and the incident is still open.
 * Anything else is refused (550), counted by reason on /metrics, and, when the reply names an
 * incident, written to its timeline as refused, so a forged acknowledgement is seen, not only
 * stopped. SMTP's MAIL FROM is not authenticated: the token is what makes a forgery fail.
 */
import { SMTPServer } from 'smtp-server';
import type { Readable } from 'node:stream';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import { listenSmtp } from '../../lib/smtp-listen.js';
import { messageIdSpelling, pageReference, tokenMatches } from './reply-token.js';

/** Header bytes read from a reply; the body is never needed, and a reply is refused past this. */
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_CLIENTS = 32;

export type RefusalReason = 'not_a_reply' | 'no_token' | 'bad_token' | 'wrong_sender' | 'not_open';

export type ReplyVerdict =
  | { readonly ack: true; readonly incidentId: string; readonly person: string }
  | { readonly ack: false; readonly reason: RefusalReason; readonly incidentId: string | undefined; readonly detail: string };

export interface ReplyAckOptions {
  readonly host: string;
  readonly port: number;
  /** The key of the tokens in page mails' Message-IDs (the state directory's secret, derived). */
  readonly key: Buffer;
  /** The person id for a sender address, if the on-call files know it. */
  readonly personByEmail: (address: string) => string | undefined;
  /** Acknowledges; false when there is no such incident or it is not open. */
  readonly ack: (incidentId: string, by: string) => boolean;
  /** A refused reply that names an incident: for its timeline. */
  readonly refused: (incidentId: string, text: string) => void;
  readonly log: Logger;
  readonly metrics?: MetricsRegistry;
}

export interface ReplyAckListener {
  readonly port: number;
  stop(): Promise<void>;
}

/** Whether a reply with these headers from this envelope sender acknowledges, and if not why. */
export function judgeReply(reply: { mailFrom: string; headers: string }, o: Pick<ReplyAckOptions, 'key' | 'personByEmail'>): ReplyVerdict {
  const ref = pageReference(reply.headers);
  if (!ref) return { ack: false, reason: 'not_a_reply', incidentId: undefined, detail: 'not a reply to a floorwatch page' };
  const refuse = (reason: RefusalReason, detail: string): ReplyVerdict => ({ ack: false, reason, incidentId: ref.incidentId, detail });
  if (ref.token === undefined) return refuse('no_token', "the reply does not carry the page mail's token");
  if (!tokenMatches(o.key, ref.local, ref.token)) return refuse('bad_token', "the page mail's token is wrong");
  const person = o.personByEmail(reply.mailFrom);
  if (person === undefined || messageIdSpelling(person) !== ref.person)
    return refuse('wrong_sender', `the sender is not the paged person (${ref.person})`);
  return { ack: true, incidentId: ref.incidentId, person };
}

export async function startReplyAck(o: ReplyAckOptions): Promise<ReplyAckListener> {
  const accepted = o.metrics?.counter('floorwatch_mail_reply_acks_total', 'Incidents acknowledged by a reply to their page mail.');
  const refusedCount = o.metrics?.counter(
    'floorwatch_mail_reply_refused_total',
    'Replies to page mails refused, by reason (no or bad token, wrong sender, not open, not a reply).',
    ['reason'],
  );
  const decide = (mailFrom: string, headers: string): { ok: true } | { ok: false; message: string } => {
    let verdict = judgeReply({ mailFrom, headers }, o);
    if (verdict.ack && !o.ack(verdict.incidentId, verdict.person))
      verdict = { ack: false, reason: 'not_open', incidentId: verdict.incidentId, detail: `${verdict.incidentId} is not open` };
    if (verdict.ack) {
      accepted?.inc();
      o.log.info({ incidentId: verdict.incidentId, by: verdict.person }, 'acknowledged by mail reply');
      return { ok: true };
    }
    refusedCount?.inc(1, { reason: verdict.reason });
    o.log.warn({ incidentId: verdict.incidentId, reason: verdict.reason, from: mailFrom.slice(0, 200) }, 'mail reply refused');
    if (verdict.incidentId) o.refused(verdict.incidentId, `mail reply refused: ${verdict.detail} (from ${printable(mailFrom)})`);
    return { ok: false, message: verdict.detail };
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    size: MAX_HEADER_BYTES * 16,
    maxClients: MAX_CLIENTS,
    logger: false,
    onData(stream, session, callback) {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      void readHeaders(stream).then((headers) => {
        const d = decide(from, headers);
        callback(d.ok ? null : Object.assign(new Error(d.message), { responseCode: 550 }));
      });
    },
  });
  return listenSmtp(server, o.host, o.port);
}

/** An address as the timeline shows it: bounded, no control characters. */
function printable(address: string): string {
  const s = address.replace(/[\p{Cc}\s]+/gu, ' ').trim() || '(no sender)';
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/** The header block (up to the first blank line), bounded; the rest of the stream is drained. */
function readHeaders(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      text += chunk.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end >= 0 || text.length > MAX_HEADER_BYTES) {
        done = true;
        text = end >= 0 ? text.slice(0, end) : text.slice(0, MAX_HEADER_BYTES);
      }
    });
    stream.on('end', () => resolve(text));
  });
}
