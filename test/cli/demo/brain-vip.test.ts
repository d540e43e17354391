/**
 * The demo's brain address during a take-over (issue #16): a request the old primary refused
 * (killed: it received nothing) waits for the new primary and is answered there, a POST (a
 * user's ack) included; a request the old primary had when it stopped answering is a GET asked
 * again, or a 503 with Retry-After for anything else (it may have been applied); no primary in
 * time is a 503 with Retry-After. Two fake brains (HTTP servers) and a pair whose primary the
 * test moves.
 */
import { createServer, type Server } from 'node:http';
import t, { type Test } from 'tap';
import { systemClock } from '../../../lib/clock.js';
import { startBrainVip } from '../../../cli/demo/brain-vip.js';
import type { DemoBrainLeg, DemoBrainPair } from '../../../cli/demo/brain-pair.js';
import { freePort } from '../../helpers/wait.js';

interface FakeBrain {
  readonly leg: DemoBrainLeg;
  /** Bodies of the requests it answered, as `METHOD path body`. */
  readonly got: string[];
  start(o?: { silent?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function fakeBrain(id: string): Promise<FakeBrain> {
  const port = await freePort();
  const got: string[] = [];
  let server: Server | undefined;
  return {
    leg: { id, url: `http://127.0.0.1:${port}` } as DemoBrainLeg,
    got,
    start: (o = {}) =>
      new Promise<void>((resolve) => {
        server = createServer((req, res) => {
          let body = '';
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => {
            got.push(`${req.method} ${req.url} ${body}`);
            if (o.silent) return; // a stopped brain: the request sits there
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ by: id }));
          });
        });
        server.listen(port, '127.0.0.1', resolve);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve(); // never started: a killed brain
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rig(t: Test, takeoverWaitMs = 5_000) {
  const a = await fakeBrain('brain-a');
  const b = await fakeBrain('brain-b');
  let primary: FakeBrain | undefined = a;
  const pair = { legs: [a.leg, b.leg], primary: async () => primary?.leg } as unknown as DemoBrainPair;
  const port = await freePort();
  const vip = await startBrainVip({ port, pair, clock: systemClock, everyMs: 50, takeoverWaitMs });
  t.teardown(async () => {
    await vip.stop();
    await a.stop();
    await b.stop();
  });
  const post = (path: string, body: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  return { a, b, vip, post, get, setPrimary: (p: FakeBrain | undefined) => (primary = p) };
}

t.test('the primary killed: a POST waits for the new primary and is applied there once', async (t) => {
  const { a, b, vip, post, setPrimary } = await rig(t);
  await b.start();
  // brain-a is down (refuses) and still named primary; brain-b becomes primary 400 ms later.
  setTimeout(() => setPrimary(b), 400);
  const r = await post('/api/incidents/1/ack', '{"by":"alice"}');
  const text = await r.text();
  t.equal(r.status, 200, `answered by the new primary: ${r.status} ${text}`);
  t.same(JSON.parse(text), { by: 'brain-b' });
  t.same(b.got, ['POST /api/incidents/1/ack {"by":"alice"}'], 'the ack reached brain-b once');
  t.same(a.got, []);
  t.equal(vip.retried, 1);
});

t.test('no brain becomes primary in time: 503 with Retry-After', async (t) => {
  const { post, vip } = await rig(t, 600);
  const r = await post('/api/incidents/1/ack', '{}');
  const body = (await r.json()) as { error: string };
  t.equal(r.status, 503, body.error);
  t.equal(r.headers.get('retry-after'), '2');
  t.match(body.error, /no brain became primary within 600 ms: retry/);
  t.equal(vip.refused, 1);
});

t.test(
  'the primary stopped with the request: a GET is asked of the new primary, a POST is a 503 saying it may have been applied',
  async (t) => {
    const { a, b, post, get, setPrimary } = await rig(t);
    await a.start({ silent: true });
    await b.start();
    setTimeout(() => setPrimary(b), 400);
    const [p, g] = await Promise.all([post('/api/incidents/1/ack', '{}'), get('/api/incidents')]);
    const pb = (await p.json()) as { error: string };
    t.equal(p.status, 503, pb.error);
    t.equal(p.headers.get('retry-after'), '2');
    t.match(pb.error, /brain-a stopped answering during a take-over: the POST may or may not have been applied/);
    t.equal(g.status, 200);
    t.same(await g.json(), { by: 'brain-b' }, 'the GET answered by the new primary');
    t.same(b.got, ['GET /api/incidents '], 'the POST was not sent twice');
  },
);

t.test('a body over the limit is refused with 413, not forwarded', async (t) => {
  const { a, post, vip } = await rig(t);
  await a.start();
  const r = await post('/api/x', 'x'.repeat((1 << 20) + 1));
  t.equal(r.status, 413);
  t.same(a.got, []);
  t.equal(vip.refused, 1);
});
