import t from 'tap';
import { EmailChannel } from '../../../brain/channels/email.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { freePort, waitFor } from '../../helpers/wait.js';
import { alice, sampleNotification } from '../notify/sample-notification.js';

const sink = await startSmtpSink({ rejectRecipients: /^nobody@/ });
t.teardown(() => sink.stop());
const channel = new EmailChannel({ host: '127.0.0.1', port: sink.port, from: 'floorwatch@floor.example', ignoreTLS: true });
t.teardown(() => channel.close());
const signal = new AbortController().signal;

t.test('a page mail is delivered and reads back with a sortable subject, headers, text and HTML', async (t) => {
  const result = await channel.send(sampleNotification(), signal);
  t.equal(result.status, 'sent', JSON.stringify(result));
  const mail = await waitFor('the mail at the sink', () => sink.mails.at(-1));
  const p = mail.parsed;
  t.equal(p.subject, '[SEV2][INC-42] FH A down, F/O to sec — ldn-1 08:01Z');
  t.same(mail.envelopeTo, ['alice@floor.example']);
  t.equal(mail.envelopeFrom, 'floorwatch@floor.example');
  t.equal(p.headers.get('x-floorwatch-incident'), 'INC-42');
  t.equal(p.headers.get('x-floorwatch-kind'), 'page');
  t.equal(p.headers.get('x-floorwatch-escalation-step'), '0');
  t.equal(p.messageId, '<INC-42.0.page.alice@floorwatch.invalid>');
  t.match(p.text, /What:\s+feed handler A down, failover to secondary/);
  t.match(p.text, /Since:\s+2026-11-23 08:01:07Z \(08:01 GMT Europe\/London\)/);
  t.match(p.text, /Root cause:\s+fh-a process exited \(signal KILL\)/);
  t.match(p.text, /2026-11-23 08:01:08Z  fh-b took over as primary/);
  t.match(p.text, /console: http:\/\/console\.floor\.example\/incidents\/INC-42/);
  const html = String(p.html);
  t.match(html, /<a href="http:\/\/console\.floor\.example\/incidents\/INC-42">console<\/a>/);
  t.match(html, /<li><code>2026-11-23 08:01:07Z<\/code> fh-a heartbeat lost \(3 missed\)<\/li>/);
});

t.test('HTML escapes what the incident says, and a resolve notice says RESOLVED in the subject', async (t) => {
  const result = await channel.send(sampleNotification({ kind: 'resolve', what: 'desk <ws-7> & co "down"' }), signal);
  t.equal(result.status, 'sent');
  const p = (await waitFor('the resolve mail', () => sink.mails.find((m) => m.parsed.headers.get('x-floorwatch-kind') === 'resolve')))
    .parsed;
  t.equal(p.subject, '[SEV2][INC-42] RESOLVED desk <ws-7> & co "down" — ldn-1 08:01Z');
  t.match(String(p.html), /desk &#60;ws-7&#62; &#38; co &#34;down&#34;/);
  t.notMatch(String(p.html), /<ws-7>/);
});

t.test('a recipient the server refuses (550) is a permanent client error', async (t) => {
  const result = await channel.send(sampleNotification({ recipient: { ...alice, id: 'nobody', email: 'nobody@floor.example' } }), signal);
  t.match(result, { status: 'failed', retryable: false, reason: 'clientError' });
});

t.test('a server that is down is retryable and unreachable', async (t) => {
  const down = new EmailChannel({ host: '127.0.0.1', port: await freePort(), from: 'fw@x', ignoreTLS: true, timeoutMs: 2000 });
  t.teardown(() => down.close());
  const result = await down.send(sampleNotification(), signal);
  t.match(result, { status: 'failed', retryable: true, reason: 'unreachable' });
});

t.test('mails share one pooled connection', async (t) => {
  const before = sink.connections;
  for (let i = 0; i < 5; i++) t.equal((await channel.send(sampleNotification({ escalationStep: 10 + i }), signal)).status, 'sent');
  t.ok(sink.connections - before <= 1, `${sink.connections - before} new connections for 5 mails`);
});
