/**
 * A real SMTP server for tests (the npm smtp-server), on 127.0.0.1, that keeps every mail it
 * accepted, parsed back with mailparser. Recipients matching `rejectRecipients` get a 550.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { listenSmtp } from '../../lib/smtp-listen.js';

export interface ReceivedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  readonly parsed: ParsedMail;
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: readonly ReceivedMail[];
  /** Sessions seen, to tell a pooled transport from one connection per mail. */
  readonly connections: number;
  stop(): Promise<void>;
}

const MAX_MAIL_BYTES = 1 << 20;
const MAX_KEPT_MAILS = 10_000;

export async function startSmtpSink(opts: { rejectRecipients?: RegExp } = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: MAX_MAIL_BYTES,
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (opts.rejectRecipients?.test(address.address)) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (mails.length >= MAX_KEPT_MAILS) throw new Error('smtp sink is full');
          mails.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            parsed,
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const listening = await listenSmtp(server, '127.0.0.1', 0);
  let stopped: Promise<void> | undefined;
  return {
    port: listening.port,
    mails,
    get connections() {
      return connections;
    },
    stop() {
      stopped ??= listening.stop();
      return stopped;
    },
  };
}
