/**
 * Client status updates through the whole paging composition on a fake clock, read back from a
 * real SMTP server: every N minutes while a client-impacting incident is open (an ack does not
 * stop them), one resolved notice, nothing after; a brain restart mid-incident sends no round
 * twice; a minor incident tells no client. Every update is in the incident's timeline.
 */
import t from 'tap';
import { scratchDir } from '../../helpers/floorwatch.js';
import { startSmtpSink, type ReceivedMail } from '../../helpers/smtp-sink.js';
import { waitFor } from '../../helpers/wait.js';
import { enqueuedKeys, newIncident, outboxSettled, startPagingRig } from './paging-fixtures.js';

const MINUTE = 60_000;

const kind = (m: ReceivedMail) => String(m.parsed.headers.get('x-floorwatch-kind'));
const step = (m: ReceivedMail) => String(m.parsed.headers.get('x-floorwatch-escalation-step'));
const to = (m: ReceivedMail) => m.envelopeTo.join(',');

t.test('status rounds every N minutes to every client until resolved, then one resolved notice', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const { clock, incidents, stop, start } = startPagingRig(
    t,
    dir,
    `
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 3600, max_repeats: 0}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  client_updates:
    every_s: 600
    impacting: {severity: [critical, major]}
    clients:
      - {id: fx, name: FX desk, email: fx@client.example}
      - {id: rates, name: Rates desk, email: rates@client.example}
`,
  );
  const mails = (n: number) => waitFor(`${n} mails at the SMTP server`, () => (smtp.mails.length >= n ? smtp.mails.slice() : undefined));

  const inc = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
  clock.advance(0);
  let got = await mails(3);
  t.same(
    got.map((m) => `${kind(m)}/${step(m)}/${to(m)}`).sort(),
    ['page/0/alice@floor.example', 'status/0/fx@client.example', 'status/0/rates@client.example'],
    'the page, and round 0 to each client',
  );
  const status = got.find((m) => to(m) === 'fx@client.example')!;
  t.match(status.parsed.subject, /^\[SEV2\]\[INC-0001\] UPDATE FH fh-a exited \(signal 9\) — fh-host-a 08:00Z$/, 'an update subject');
  t.match(status.parsed.text, /Notice:\s+status update 0/);

  clock.advance(10 * MINUTE);
  got = await mails(5);
  t.same(
    got.slice(3).map((m) => `${kind(m)}/${step(m)}`),
    ['status/1', 'status/1'],
    'round 1 after 10 minutes',
  );
  incidents.ack(inc.id, 'alice');
  clock.advance(10 * MINUTE);
  got = await mails(7);
  t.same(
    got.slice(5).map((m) => `${kind(m)}/${step(m)}`),
    ['status/2', 'status/2'],
    'an ack does not stop client updates',
  );

  // A restart mid-incident: round 2 is not sent again, round 3 goes out once.
  await outboxSettled(dir);
  await stop();
  start();
  clock.advance(MINUTE);
  clock.advance(9 * MINUTE);
  got = await mails(9);
  t.same(
    got.slice(7).map((m) => `${kind(m)}/${step(m)}`),
    ['status/3', 'status/3'],
    'after a restart: the next round, once',
  );

  incidents.resolve(inc.id, 'fh-a restarted');
  got = await mails(12);
  t.same(
    got
      .slice(9)
      .map((m) => `${kind(m)}/${to(m)}`)
      .sort(),
    ['resolve/alice@floor.example', 'resolve/fx@client.example', 'resolve/rates@client.example'],
    'resolved notices',
  );
  clock.advance(60 * MINUTE);
  t.equal(enqueuedKeys(dir).length, 12, 'no update after the resolve');
  await outboxSettled(dir); // the SMTP server has the mail a moment before the brain records it
  const timeline = incidents.get(inc.id)!.timeline.map((e) => e.text);
  t.equal(
    timeline.filter((x) => x.startsWith('routed: ')).join(),
    'routed: default (phase unknown; email); client updates',
    'the route, once (not again after the restart)',
  );
  for (const round of [0, 1, 2, 3])
    t.ok(
      timeline.some((x) => x.startsWith(`delivered by email (INC-0001/${round}/status/client.fx)`)),
      `round ${round} in the timeline`,
    );
  t.ok(
    timeline.some((x) => x.startsWith('delivered by email (INC-0001/0/resolve/client.rates)')),
    'resolved notice in the timeline',
  );
});

t.test('an incident that does not impact clients sends them nothing', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const { clock, incidents } = startPagingRig(
    t,
    dir,
    `
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  client_updates:
    impacting: {severity: [critical], labels: {client_facing: ["true"]}}
    clients: [{id: fx, name: FX desk, email: fx@client.example}]
`,
  );
  incidents.open(newIncident('critical', 'colour red lost', 'ws-1'));
  clock.advance(0);
  await waitFor('the page', () => smtp.mails.length >= 1);
  clock.advance(30 * MINUTE);
  t.same(
    enqueuedKeys(dir).filter((k) => k.includes('client.')),
    [],
    'critical but without client_facing=true: no client mail',
  );

  // Later the correlator learns the incident does hit clients: updates start with the round due now.
  incidents.change('INC-0001', (inc) => (inc.roots[0]!.labels['client_facing'] = 'true'));
  t.same(
    enqueuedKeys(dir).filter((k) => k.includes('client.')),
    ['INC-0001/2/status/client.fx'],
    'client-impacting now: round 2 (30 min of 15) goes out',
  );
  await waitFor('the status mail', () => smtp.mails.some((m) => kind(m) === 'status'));
});

t.test('client status mails carry only the notes marked for clients: no internal note, ack or link', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const { clock, incidents } = startPagingRig(
    t,
    dir,
    `
  console_url: https://wallboard.floor:7443
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 3600, max_repeats: 0}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  client_updates:
    every_s: 600
    impacting: {severity: [major]}
    clients: [{id: fx, name: FX desk, email: fx@client.example}]
`,
  );
  const inc = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
  incidents.note(inc.id, 'alice', 'INTERNAL: vendor blames our switch, do not tell the desk');
  incidents.note(inc.id, 'alice', 'Prices on EURUSD may be delayed; next update in 10 minutes.', true);
  clock.advance(0);
  const page = await waitFor('the page', () => smtp.mails.find((m) => kind(m) === 'page'));
  incidents.ack(inc.id, 'alice', 'INTERNAL ack note');
  clock.advance(10 * MINUTE);
  const status = await waitFor('the round-1 status mail', () => smtp.mails.find((m) => kind(m) === 'status' && step(m) === '1'));
  t.match(page.parsed.text, /INTERNAL: vendor blames our switch/, 'the on-call page shows the internal timeline');
  const text = `${status.parsed.text}\n${String(status.parsed.html)}`;
  t.match(status.parsed.text, /Timeline:\n\s+\S+ \S+\s+Prices on EURUSD may be delayed;/, 'the client note is its timeline');
  t.match(status.parsed.text, /Links:\n\s*\nSent to FX desk/, 'and no link');
  t.notMatch(text, /INTERNAL|alice|wallboard\.floor|acknowledged/, 'no internal note, no ack, no actor, no wall-board link');
});
