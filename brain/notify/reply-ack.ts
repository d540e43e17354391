/**
 * Acknowledgement by replying to a page mail: a small inbound SMTP listener (smtp-server). Page
 * mails carry `Reply-To: <paging.reply_ack.address>`; a reply's `In-Reply-To` (or `References`)
 * names our Message-ID, which is derived from the outbox key (`<INC-0042.0.page.alice@…>`), so
 * the incident is known without reading the body. Only a sender whose address is a person's in
 * the on-call files is accepted, and only page mails acknowledge.
 *
 * The sender check is as strong as the mail path to this listener: SMTP's MAIL FROM is not
 * authenticated, so listen only where the floor's own mail relay can reach it.
 */
import { SMTPServer } from 'smtp-server';
import type { Readable } from 'node:stream';
import type { Logger } from '../../lib/log.js';
import { listenSmtp } from '../../lib/smtp-listen.js';

/** Header bytes read from a reply; the body is never needed, and a reply is refused past this. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface ReplyAckOptions {
  readonly host: string;
  readonly port: number;
  /** The person id for a sender address, if the on-call files know it. */
  readonly personByEmail: (address: string) => string | undefined;
  /** Acknowledges; false when there is no such incident or it is not open. */
  readonly ack: (incidentId: string, by: string) => boolean;
  readonly log: Logger;
}

export interface ReplyAckListener {
  readonly port: number;
  stop(): Promise<void>;
}

/** The incident a reply answers, from its In-Reply-To / References headers (a page mail's Message-ID). */
export function incidentOfReply(headerText: string): string | undefined {
  const unfolded = headerText.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^(in-reply-to|references):(.*)$/i.exec(line);
    if (!m) continue;
    const id = /<([A-Za-z0-9_-]+)\.\d+\.page\.[^@>\s]+@[^>\s]+>/.exec(m[2]!);
    if (id) return id[1];
  }
  return undefined;
}

export async function startReplyAck(o: ReplyAckOptions): Promise<ReplyAckListener> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    size: MAX_HEADER_BYTES * 16,
    logger: false,
    onMailFrom(address, _session, callback) {
      if (o.personByEmail(address.address) === undefined) {
        return callback(Object.assign(new Error(`${address.address} is not on any on-call rota`), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      void readHeaders(stream).then((headers) => {
        const incidentId = incidentOfReply(headers);
        const by = o.personByEmail(from);
        if (!incidentId || !by) return callback(Object.assign(new Error('not a reply to a floorwatch page'), { responseCode: 550 }));
        const acked = o.ack(incidentId, by);
        o.log.info({ incidentId, by, acked }, 'acknowledgement by mail reply');
        callback(acked ? null : Object.assign(new Error(`${incidentId} is not open`), { responseCode: 550 }));
      });
    },
  });
  return listenSmtp(server, o.host, o.port);
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
