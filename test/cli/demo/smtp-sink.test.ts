/** The demo's SMTP sink with a real SMTP client (nodemailer, as the brain's email channel uses). */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { startSmtpSink } from '../../../cli/demo/smtp-sink.js';
import { scratchDir } from '../../helpers/floorwatch.js';

t.test('keeps every mail: envelope, subject, raw text; in memory and in its file', async (t) => {
  const file = join(scratchDir(t), 'mails.jsonl');
  const sink = await startSmtpSink({ host: '127.0.0.1', port: 0, file });
  t.teardown(() => sink.stop());
  const transport = createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  await transport.sendMail({
    from: 'floorwatch@demo.floorwatch',
    to: ['alice@demo.floorwatch', 'bob@demo.floorwatch'],
    subject: 'INC-0001 SEV2 fh-a exited',
    text: 'the body',
  });
  transport.close();
  t.equal(sink.mails.entries.length, 1);
  t.match(sink.mails.entries[0], {
    from: 'floorwatch@demo.floorwatch',
    to: ['alice@demo.floorwatch', 'bob@demo.floorwatch'],
    subject: 'INC-0001 SEV2 fh-a exited',
    raw: /the body/,
  });
  t.same(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    sink.mails.entries,
  );
});
