import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebhookChannel } from '../../../brain/channels/webhook.js';
import { freePort } from '../../helpers/wait.js';
import { sampleNotification } from '../notify/sample-notification.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

let answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end('ok');
const received: Received[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
    answer(res);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
t.teardown(() => new Promise<void>((r) => {
  // fetch keeps connections alive; without this close() waits for their idle timeout.
  server.closeAllConnections();
  server.close(() => r());
}));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
const signal = new AbortController().signal;

t.test('the notification is POSTed as JSON with an idempotency key', async (t) => {
  answer = (res) => res.writeHead(202).end();
  const result = await new WebhookChannel({ url }).send(sampleNotification(), signal);
  t.match(result, { status: 'sent', detail: 'HTTP 202' });
  const got = received.at(-1)!;
  t.equal(got.headers['content-type'], 'application/json');
  t.equal(got.headers['idempotency-key'], 'INC-42/0/page/alice');
  t.match(got.body, { version: 1, incidentId: 'INC-42', severity: 'SEV2', kind: 'page', where: 'ldn-1', when: '2026-11-23T08:01:07.000Z' });
});

for (const [status, retryable, reason] of [
  [500, true, 'serverError'],
  [503, true, 'serverError'],
  [429, true, 'serverError'],
  [400, false, 'clientError'],
  [404, false, 'clientError'],
] as const) {
  t.test(`HTTP ${status} is ${retryable ? 'retryable' : 'permanent'}`, async (t) => {
    answer = (res) => res.writeHead(status).end('nope');
    const result = await new WebhookChannel({ url }).send(sampleNotification(), signal);
    t.match(result, { status: 'failed', retryable, reason });
  });
}

t.test('a receiver that does not answer in time is a retryable timeout', async (t) => {
  const hung: ServerResponse[] = [];
  answer = (res) => hung.push(res);
  const result = await new WebhookChannel({ url, timeoutMs: 200 }).send(sampleNotification(), signal);
  t.match(result, { status: 'failed', retryable: true, reason: 'timeout' });
  for (const res of hung) res.destroy();
});

t.test('a receiver that is down is retryable and unreachable', async (t) => {
  const result = await new WebhookChannel({ url: `http://127.0.0.1:${await freePort()}/` }).send(sampleNotification(), signal);
  t.match(result, { status: 'failed', retryable: true, reason: 'unreachable' });
});
