/**
 * The demo's mail server (the npm smtp-server): accepts every mail on loopback and keeps its
 * envelope, subject and text, so the email fallback and the mail copies are visible.
 */
import { SMTPServer } from 'smtp-server';
import { ReceivedLog } from './received-log.js';
import { listenSmtp } from '../../lib/smtp-listen.js';

export interface ReceivedMail {
  readonly at: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** The raw message (headers and body), cut at MAX_MAIL_BYTES. */
  readonly raw: string;
}

const MAX_MAIL_BYTES = 256 * 1024;

export interface SmtpSink {
  readonly port: number;
  readonly mails: ReceivedLog<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtpSink(o: { host: string; port: number; file: string }): Promise<SmtpSink> {
  const mails = new ReceivedLog<ReceivedMail>(o.file);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: MAX_MAIL_BYTES,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        if (bytes < MAX_MAIL_BYTES) chunks.push(c);
        bytes += c.length;
      });
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8').slice(0, MAX_MAIL_BYTES);
        mails.add({
          at: Date.now(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/im.exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? '',
          raw,
        });
        callback();
      });
    },
  });
  const listening = await listenSmtp(server, o.host, o.port);
  return { ...listening, mails };
}
