/**
 * Acknowledgement by replying to the page mail: the page mail (read back from a real SMTP
 * server) names the reply address and carries a token in its Message-ID; replies sent with
 * nodemailer to the brain's listener acknowledge only from the paged person's own address with
 * that token. Forgeries (a stranger, another on-call person, the paged person's address without
 * the token or with a wrong one) acknowledge nothing, are in the timeline as refused, and are
 * counted on /metrics by reason.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import { parseBrainConfig } from '../../../brain/config.js';
import { judgeReply } from '../../../brain/notify/reply-ack.js';
import { pageReference, replyToken } from '../../../brain/notify/reply-token.js';
import { MetricsRegistry } from '../../../lib/metrics.js';
import { scratchDir, writeYaml } from '../../helpers/floorwatch.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { freePort, waitFor } from '../../helpers/wait.js';
import { enqueuedKeys, newIncident, startPagingRig } from './paging-fixtures.js';

t.test('the page a reply answers: In-Reply-To first, then References; signed or not; only page mails', async (t) => {
  const token = 'Q2x1ZUluVGhlTWFjaEFCQw';
  t.match(pageReference(`Subject: Re: x\r\nIn-Reply-To: <INC-0042.0.page.alice.${token}@floorwatch.invalid>\r\n`), {
    incidentId: 'INC-0042',
    step: 0,
    person: 'alice',
    local: 'INC-0042.0.page.alice',
    token,
  });
  t.match(
    pageReference('References: <a@b>\r\n <INC-0007.3.page.bob@floor.example>\r\nSubject: y'),
    { incidentId: 'INC-0007', step: 3, person: 'bob', token: undefined },
    'folded, and without a token',
  );
  t.match(
    pageReference(`References: <INC-0001.0.page.bob.${token}@x>\r\nIn-Reply-To: <INC-0002.0.page.alice.${token}@x>`),
    { incidentId: 'INC-0002' },
    'In-Reply-To wins',
  );
  t.equal(pageReference('In-Reply-To: <INC-0042.0.status.client.fx@floorwatch.invalid>'), undefined, 'a status mail does not acknowledge');
  t.equal(pageReference('Subject: [SEV2][INC-0042] hello'), undefined, 'the subject alone is not trusted');
});

t.test('judgeReply: the token, then the sender', async (t) => {
  const key = randomBytes(32);
  const people: Record<string, string> = { 'alice@floor.example': 'alice', 'bob@floor.example': 'bob' };
  const o = { key, personByEmail: (a: string) => people[a.toLowerCase()] };
  const to = (person: string, token?: string) => `In-Reply-To: <INC-0001.0.page.${person}${token ? `.${token}` : ''}@floorwatch.invalid>`;
  const good = replyToken(key, 'INC-0001.0.page.alice');
  const judge = (mailFrom: string, headers: string) => {
    const v = judgeReply({ mailFrom, headers }, o);
    return v.ack ? `ack ${v.person}` : v.reason;
  };
  t.same(
    [
      judge('alice@floor.example', to('alice', good)),
      judge('ALICE@floor.example', to('alice', good)),
      judge('alice@floor.example', to('alice')),
      judge('alice@floor.example', to('alice', replyToken(randomBytes(32), 'INC-0001.0.page.alice'))),
      judge('alice@floor.example', to('bob', replyToken(key, 'INC-0001.0.page.bob'))),
      judge('bob@floor.example', to('alice', good)),
      judge('mallory@elsewhere.example', to('alice', good)),
      judge('alice@floor.example', 'Subject: ack'),
    ],
    ['ack alice', 'ack alice', 'no_token', 'bad_token', 'wrong_sender', 'wrong_sender', 'wrong_sender', 'not_a_reply'],
  );
});

t.test('the reply listener binds loopback unless configured otherwise', async (t) => {
  const dir = scratchDir(t);
  const schedule = writeYaml(dir, 'oncall.yaml', 'people: {}\nrotations: []\n');
  const c = parseBrainConfig(
    `paging:\n  schedule: ${schedule}\n  email: {host: smtp.floor, port: 25, from: f@floor.example}\n  reply_ack: {address: ack@floor.example}\n`,
  );
  t.equal(c.paging?.reply_ack?.listen, '127.0.0.1:2525');
});

// alice's address in another case than the reply's From: the match is case-insensitive.
const ALICE_AND_BOB = `people:
  alice: { name: Alice, email: Alice@floor.example }
  bob: { name: Bob, email: bob@floor.example }
rotations:
  - { name: first, tier: first-line, timeZone: UTC, start: "00:00", end: "24:00", people: [alice] }
  - { name: back, tier: back-line, timeZone: UTC, start: "00:00", end: "24:00", people: [bob] }
`;

t.test('only the paged person, with the token, acknowledges; forgeries are refused, in the timeline and counted', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const replyPort = await freePort();
  const metrics = new MetricsRegistry({ defaults: false });
  const { clock, incidents } = startPagingRig(
    t,
    dir,
    `
  escalation: {steps: [{tier: first-line, after_s: 0}, {tier: back-line, after_s: 600}], repeat_every_s: 600, max_repeats: 0}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  reply_ack: {listen: "127.0.0.1:${replyPort}", address: ack@floorwatch.floor.example}
`,
    { schedule: ALICE_AND_BOB, metrics },
  );
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
  const messageId = page.parsed.messageId!;
  t.match(
    messageId,
    new RegExp(`^<${inc.id}\\.0\\.page\\.alice\\.[A-Za-z0-9_-]{22}@floorwatch\\.invalid>$`),
    'its Message-ID carries a token',
  );
  const unsigned = messageId.replace(/\.[A-Za-z0-9_-]{22}@/, '@');

  const mailer = createTransport({ host: '127.0.0.1', port: replyPort, ignoreTLS: true });
  t.teardown(() => mailer.close());
  const reply = (from: string, inReplyTo: string) =>
    mailer.sendMail({ from, to: 'ack@floorwatch.floor.example', subject: `Re: ${page.parsed.subject}`, inReplyTo, text: 'on it' });
  await t.rejects(
    reply('mallory@elsewhere.example', messageId),
    { message: /550/, responseCode: 550 },
    'a stranger with the whole Message-ID is refused',
  );
  await t.rejects(
    reply('bob@floor.example', messageId),
    { message: /550/, responseCode: 550 },
    'another on-call person is refused: bob was not paged',
  );
  await t.rejects(
    reply('alice@floor.example', unsigned),
    { message: /550/, responseCode: 550 },
    "the paged person's address without the token is refused",
  );
  await t.rejects(
    reply('alice@floor.example', messageId.replace(/\.[A-Za-z0-9_-]{22}@/, '.AAAAAAAAAAAAAAAAAAAAAA@')),
    { message: /550/, responseCode: 550 },
    'a wrong token is refused',
  );
  const forged = incidents.get(inc.id)!;
  t.equal(forged.status, 'open', 'no forgery acknowledged anything');
  t.same(
    forged.timeline.filter((e) => e.kind === 'refused').map((e) => e.text),
    [
      'mail reply refused: the sender is not the paged person (alice) (from mallory@elsewhere.example)',
      'mail reply refused: the sender is not the paged person (alice) (from bob@floor.example)',
      "mail reply refused: the reply does not carry the page mail's token (from alice@floor.example)",
      "mail reply refused: the page mail's token is wrong (from alice@floor.example)",
    ],
    'each forgery is in the timeline as refused',
  );

  await reply('alice@floor.example', messageId);
  const acked = incidents.get(inc.id)!;
  t.equal(acked.status, 'acknowledged', "the paged person's reply with the token acknowledges");
  t.equal(acked.ackedBy, 'alice', 'by the person, matched case-insensitively');
  t.ok(
    acked.timeline.some((e) => e.kind === 'ack' && e.by === 'alice' && e.text === 'acknowledged: by mail reply'),
    'in the timeline',
  );
  await t.rejects(
    reply('alice@floor.example', messageId),
    { message: /550/, responseCode: 550 },
    'a second reply: the incident is no longer open',
  );

  const text = await metrics.render();
  const count = (reason: string) =>
    Number(new RegExp(`^floorwatch_mail_reply_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  t.same(
    { wrong_sender: count('wrong_sender'), no_token: count('no_token'), bad_token: count('bad_token'), not_open: count('not_open') },
    { wrong_sender: 2, no_token: 1, bad_token: 1, not_open: 1 },
    'refusals counted by reason',
  );
  t.match(text, /^floorwatch_mail_reply_acks_total 1$/m, 'and the acknowledgement');

  clock.advance(20 * 60_000);
  t.same(enqueuedKeys(dir), [`${inc.id}/0/page/alice`], 'no escalation to the back line after the ack');
});
