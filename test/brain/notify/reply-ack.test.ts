/**
 * Acknowledgement by replying to the page mail: the page mail (read back from a real SMTP
 * server) names the reply address; a reply sent with nodemailer from the on-call person to the
 * brain's listener acknowledges the incident and stops escalation; a stranger's reply is refused.
 */
import t from 'tap';
import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import { incidentOfReply } from '../../../brain/notify/reply-ack.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { freePort, waitFor } from '../../helpers/wait.js';
import { enqueuedKeys, newIncident, startPagingRig } from './paging-fixtures.js';

t.test('the incident is read from In-Reply-To or References, folded or not; only page mails count', async (t) => {
  t.equal(incidentOfReply('Subject: Re: x\r\nIn-Reply-To: <INC-0042.0.page.alice@floorwatch.invalid>\r\n'), 'INC-0042');
  t.equal(incidentOfReply('References: <a@b>\r\n <INC-0007.3.page.bob@floor.example>\r\nSubject: y'), 'INC-0007');
  t.equal(incidentOfReply('In-Reply-To: <INC-0042.0.status.client.fx@floorwatch.invalid>'), undefined, 'a status mail does not acknowledge');
  t.equal(incidentOfReply('Subject: [SEV2][INC-0042] hello'), undefined, 'the subject alone is not trusted');
});

// alice's address in another case than the reply's From: the match is case-insensitive.
const ALICE_AND_BOB = `people:
  alice: { name: Alice, email: Alice@floor.example }
  bob: { name: Bob, email: bob@floor.example }
rotations:
  - { name: first, tier: first-line, timeZone: UTC, start: "00:00", end: "24:00", people: [alice] }
  - { name: back, tier: back-line, timeZone: UTC, start: "00:00", end: "24:00", people: [bob] }
`;

t.test('a reply from the person paged acknowledges and stops escalation; a stranger is refused', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const replyPort = await freePort();
  const { clock, incidents } = startPagingRig(t, dir, `
  escalation: {steps: [{tier: first-line, after_s: 0}, {tier: back-line, after_s: 600}], repeat_every_s: 600, max_repeats: 0}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  reply_ack: {listen: "127.0.0.1:${replyPort}", address: ack@floorwatch.floor.example}
`, { schedule: ALICE_AND_BOB });
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(replyPort, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  await waitFor('the reply listener', listening);

  const inc = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
  clock.advance(0);
  const page = await waitFor('the page mail', () => smtp.mails[0]);
  t.equal(page.parsed.replyTo?.text, 'ack@floorwatch.floor.example', 'the page mail says where to reply');

  const mailer = createTransport({ host: '127.0.0.1', port: replyPort, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const reply = (from: string) => mailer.sendMail({ from, to: 'ack@floorwatch.floor.example', subject: `Re: ${page.parsed.subject}`, inReplyTo: page.parsed.messageId, text: 'on it' });
  await t.rejects(reply('mallory@elsewhere.example'), { responseCode: 550 }, 'a sender on no rota is refused');
  t.equal(incidents.get(inc.id)!.status, 'open', 'and acknowledges nothing');

  await reply('alice@floor.example');
  const acked = incidents.get(inc.id)!;
  t.equal(acked.status, 'acknowledged', 'acknowledged when the reply is accepted');
  t.equal(acked.ackedBy, 'alice', 'by the person, matched case-insensitively');
  t.ok(acked.timeline.some((e) => e.kind === 'ack' && e.text === 'acknowledged: by mail reply'), 'in the timeline');
  await t.rejects(reply('alice@floor.example'), { responseCode: 550 }, 'a second reply: the incident is no longer open');

  clock.advance(20 * 60_000);
  t.same(enqueuedKeys(dir), [`${inc.id}/0/page/alice`], 'no escalation to the back line after the ack');
});
