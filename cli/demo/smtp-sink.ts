/**
 * The SMTP sink (the npm smtp-server), the one implementation: the demo's mail server and the
 * suite's. Accepts mail on loopback and keeps its envelope, subject and raw text, so the email
 * fallback and the mail copies are visible. For tests it can also refuse recipients (550), count
 * connections (a pooled transport against one connection per mail), and hand each mail to
 * `accept` before answering the client (the suite parses it there, so a sent mail is already
 * parsed when the client's send resolves).
 */
import { SMTPServer } from 'smtp-server';
import { ReceivedLog } from './received-log.js';
import { listenSmtp } from '../../lib/smtp-listen.js';

export interface ReceivedMail {
  readonly at: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** The raw message (headers and body), cut at `maxMailBytes`. */
  readonly raw: string;
}

const MAX_MAIL_BYTES = 256 * 1024;

export interface SmtpSinkOptions {
  host: string;
  /** 0: the kernel picks. */
  port: number;
  /** A JSON-lines file every kept mail is appended to. */
  file?: string;
  /** Recipients matching it are refused with 550. */
  rejectRecipients?: RegExp;
  maxMailBytes?: number;
  /** Called with each mail before the client gets its answer; a rejection refuses the mail. */
  accept?: (mail: ReceivedMail) => Promise<void>;
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: ReceivedLog<ReceivedMail>;
  /** SMTP sessions seen. */
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startSmtpSink(o: SmtpSinkOptions): Promise<SmtpSink> {
  const mails = new ReceivedLog<ReceivedMail>(o.file);
  const maxBytes = o.maxMailBytes ?? MAX_MAIL_BYTES;
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: maxBytes,
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (o.rejectRecipients?.test(address.address)) {
        return callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        if (bytes < maxBytes) chunks.push(c);
        bytes += c.length;
      });
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
        const mail: ReceivedMail = {
          at: Date.now(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/im.exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? '',
          raw,
        };
        if (!o.accept) {
          mails.add(mail);
          return callback();
        }
        if (mails.full) return callback(new Error('smtp sink is full'));
        o.accept(mail).then(
          () => {
            mails.add(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  const listening = await listenSmtp(server, o.host, o.port);
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
