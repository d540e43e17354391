/**
 * The product's SMTP sink (cli/demo/smtp-sink.ts) on 127.0.0.1 for tests, with every mail it
 * accepted parsed back with mailparser before the client's send completes. Recipients matching
 * `rejectRecipients` get a 550.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { startSmtpSink as startSink } from '../../cli/demo/smtp-sink.js';

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

export async function startSmtpSink(opts: { rejectRecipients?: RegExp } = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const sink = await startSink({
    host: '127.0.0.1',
    port: 0,
    maxMailBytes: 1 << 20,
    ...opts,
    accept: async (m) => {
      mails.push({ envelopeFrom: m.from, envelopeTo: m.to, parsed: await simpleParser(m.raw) });
    },
  });
  return {
    port: sink.port,
    mails,
    get connections() {
      return sink.connections;
    },
    stop: () => sink.stop(),
  };
}
