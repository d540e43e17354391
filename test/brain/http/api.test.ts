/**
 * The brain's HTTP side against a real brain, request by request (node:http, so Host, Origin
 * and Sec-Fetch-Site can be set as a browser or an attacker would): security headers on every
 * answer; 401/403 by role; the Host check; writes only same-origin, as JSON, at most 64 KiB;
 * every query parameter and body field validated; the actor is the identity; silences take
 * units; the sign-in cookie; the admin endpoints.
 */
import t from 'tap';
import { request } from 'node:http';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { testAccess } from '../../helpers/access.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { seedOpenIncidents } from '../../helpers/incidents.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

function call(
  port: number,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // An explicit length: node:http sends a DELETE's body unframed otherwise.
    const length = o.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(o.body)) };
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...length, ...o.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

t.test('the HTTP side: headers, roles, origin, body and parameter checks', async (t) => {
  const dir = scratchDir(t);
  const access = await testAccess([
    { name: 'view', role: 'viewer' },
    { name: 'alice', role: 'operator', password: 'alice-password' },
    { name: 'carol', role: 'admin' },
  ]);
  seedOpenIncidents(`${dir}/brain`, ['INC-0001', 'INC-0002', 'INC-0003']);
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\nrules: {dir: ${dir}}\ncorrelation: {restart_confirm_ms: 0}\n${access.yaml}`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const port = brain.httpPort;
  const own = `http://127.0.0.1:${port}`;
  const op = { ...access.bearer('alice'), ...JSON_TYPE };

  await t.test('security headers on every answer, whatever it is', async (t) => {
    for (const [method, path, headers] of [
      ['GET', '/', {}],
      ['GET', '/api/health', access.bearer('view')],
      ['GET', '/api/health', {}],
      ['GET', '/nope', {}],
      ['POST', '/api/health', {}],
    ] as const) {
      const a = await call(port, method, path, { headers });
      t.match(
        a.headers,
        {
          'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        },
        `${method} ${path} → ${a.status}`,
      );
    }
  });

  await t.test('reads need an identity; writes need an operator; the actor is the identity', async (t) => {
    t.equal((await call(port, 'GET', '/api/incidents')).status, 401, 'no credential: 401');
    t.equal(
      (await call(port, 'GET', '/api/incidents', { headers: { authorization: 'Bearer fwt_' + 'A'.repeat(43) } })).status,
      401,
      'an unknown token: 401',
    );
    t.equal((await call(port, 'GET', '/api/incidents', { headers: access.bearer('view') })).status, 200, 'a viewer reads');
    t.equal((await call(port, 'GET', '/', {})).status, 200, 'the board itself is public (it holds the sign-in form)');
    const denied = await call(port, 'POST', '/api/incidents/INC-0001/ack', {
      headers: { ...access.bearer('view'), ...JSON_TYPE },
      body: '{}',
    });
    t.same([denied.status, denied.json()['error']], [403, 'view (viewer) may not ack']);
    const forged = await call(port, 'POST', '/api/incidents/INC-0001/ack', { headers: op, body: JSON.stringify({ by: 'mallory' }) });
    t.same(
      [forged.status, forged.json()['error']],
      [400, 'unknown field "by" (this endpoint takes note) (the actor is who signed in, never a field)'],
    );
    const acked = await call(port, 'POST', '/api/incidents/INC-0001/ack', { headers: op, body: JSON.stringify({ note: 'on it' }) });
    t.equal(acked.status, 200);
    t.same(
      brain.incidents
        .get('INC-0001')
        .timeline.filter((e) => e.kind === 'ack')
        .map((e) => [e.by, e.text]),
      [['alice', 'acknowledged: on it']],
      'the timeline names the token’s user',
    );
  });

  await t.test('an operator resolves by hand; a viewer may not', async (t) => {
    t.equal(
      (
        await call(port, 'POST', '/api/incidents/INC-0003/resolve', {
          headers: { ...access.bearer('view'), ...JSON_TYPE },
          body: '{"reason":"x"}',
        })
      ).status,
      403,
    );
    t.equal((await call(port, 'POST', '/api/incidents/INC-0003/resolve', { headers: op, body: '{}' })).status, 400, 'a reason is required');
    const r = await call(port, 'POST', '/api/incidents/INC-0003/resolve', {
      headers: op,
      body: JSON.stringify({ reason: 'vendor confirmed' }),
    });
    t.same([r.status, r.json()['status']], [200, 'resolved']);
    t.match(brain.incidents.get('INC-0003').timeline.at(-1), {
      kind: 'resolved',
      by: 'alice',
      text: 'resolved: by hand: vendor confirmed',
    });
  });

  await t.test('silences take units; a bad one is a 400 naming the field', async (t) => {
    const before = Date.now();
    const ok = await call(port, 'POST', '/api/incidents/INC-0002/silence', {
      headers: op,
      body: JSON.stringify({ reason: 'switch work', for: '30m' }),
    });
    t.equal(ok.status, 200);
    const until = brain.incidents.get('INC-0002').silence?.untilMs ?? 0;
    t.ok(until >= before + 30 * 60_000 && until <= Date.now() + 30 * 60_000, `until is 30 minutes on (${until - before} ms)`);
    for (const bad of ['30', 'abc', '0s', '99999999999999999d']) {
      const a = await call(port, 'POST', '/api/incidents/INC-0002/silence', {
        headers: op,
        body: JSON.stringify({ reason: 'x', for: bad }),
      });
      t.same([a.status, /^for/.test(String(a.json()['error']))], [400, true], `for: ${bad} → ${a.json()['error']}`);
    }
    const str = await call(port, 'POST', '/api/incidents/INC-0002/silence', {
      headers: op,
      body: JSON.stringify({ reason: 'x', until_ms: '5' }),
    });
    t.same([str.status, str.json()['error']], [400, 'until_ms must be a number']);
  });

  await t.test('every query parameter is validated, with maxima', async (t) => {
    const get = (q: string) => call(port, 'GET', `/api/series${q}`, { headers: access.bearer('view') });
    t.same(
      [(await get('?limit=abc')).status, (await get('?limit=abc')).json()['error']],
      [400, 'limit must be an integer from 1 to 10000'],
    );
    t.equal((await get('?limit=10001')).status, 400, 'past the maximum');
    t.equal((await get('?limit=0')).status, 400);
    t.equal((await get('?limit=5')).status, 200);
    t.match(
      (await get('?limitt=5')).json()['error'],
      /unknown query parameter "limitt" \(this endpoint takes agent, measurement, field, limit\)/,
    );
    t.match((await get('?limit=1&limit=2')).json()['error'], /given twice/);
    t.equal((await call(port, 'GET', '/api/incidents?status=bogus', { headers: access.bearer('view') })).status, 400);
    t.equal((await call(port, 'GET', '/api/events?after=-1', { headers: access.bearer('view') })).status, 400);
  });

  await t.test('writes: same origin, JSON, at most 64 KiB', async (t) => {
    const ack = (headers: Record<string, string>, body: string | Buffer = '{}') =>
      call(port, 'POST', '/api/incidents/INC-0002/note', { headers: { ...access.bearer('alice'), ...headers }, body });
    const text = await ack({ 'content-type': 'text/plain' }, '{"text":"x"}');
    t.same(
      [text.status, text.json()['error']],
      [415, 'a request that changes state must be Content-Type: application/json (got "text/plain")'],
    );
    t.equal((await ack({ ...JSON_TYPE, origin: 'http://evil.example' }, '{"text":"x"}')).status, 403, 'a foreign Origin');
    t.equal((await ack({ ...JSON_TYPE, origin: 'null' }, '{"text":"x"}')).status, 403, 'Origin: null');
    t.equal((await ack({ ...JSON_TYPE, 'sec-fetch-site': 'same-site' }, '{"text":"x"}')).status, 403, 'Sec-Fetch-Site: same-site');
    t.equal((await ack({ ...JSON_TYPE, origin: own }, '{"text":"same origin"}')).status, 200, 'its own Origin');
    const big = await ack(JSON_TYPE, JSON.stringify({ text: 'x'.repeat(70_000) }));
    t.same([big.status, big.json()['error']], [413, 'request body larger than 64 KiB']);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/incidents/INC-0002/note',
          headers: { ...access.bearer('alice'), ...JSON_TYPE, 'transfer-encoding': 'chunked' },
        },
        (res) => (res.resume(), resolve(res.statusCode!)),
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8192));
      req.end();
    });
    t.equal(chunked, 413, 'a chunked body past the limit');
    t.equal((await ack(JSON_TYPE, '{"text":')).status, 400, 'broken JSON');
    t.equal((await ack(JSON_TYPE, '[1]')).status, 400, 'not an object');
  });

  await t.test('Host must be an address, localhost or a configured name (DNS rebinding)', async (t) => {
    const as = (host: string) => call(port, 'GET', '/api/health', { headers: { ...access.bearer('view'), host } });
    t.equal((await as('rebound.evil.example')).status, 421);
    t.equal((await as(`localhost:${port}`)).status, 200);
    t.equal((await as(`[::1]:${port}`)).status, 200);
  });

  await t.test('sign-in: the session cookie, its attributes, and sign-out', async (t) => {
    const wrong = await call(port, 'POST', '/api/session', {
      headers: JSON_TYPE,
      body: JSON.stringify({ user: 'alice', password: 'nope' }),
    });
    t.equal(wrong.status, 401);
    const ok = await call(port, 'POST', '/api/session', {
      headers: JSON_TYPE,
      body: JSON.stringify({ user: 'alice', password: 'alice-password' }),
    });
    t.equal(ok.status, 200);
    const cookie = String(ok.headers['set-cookie']);
    t.match(cookie, /^fw_session=[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const session = cookie.split(';')[0]!;
    t.same((await call(port, 'GET', '/api/session', { headers: { cookie: session } })).json(), {
      user: 'alice',
      role: 'operator',
      via: 'session',
      actions: ['read', 'ack', 'note', 'silence', 'resolve'],
      anonymous_read: false,
    });
    const noOrigin = await call(port, 'POST', '/api/incidents/INC-0002/note', {
      headers: { cookie: session, ...JSON_TYPE },
      body: '{"text":"x"}',
    });
    t.same([noOrigin.status, noOrigin.json()['error']], [403, 'a request with the session cookie must carry an Origin header']);
    t.equal(
      (
        await call(port, 'POST', '/api/incidents/INC-0002/note', {
          headers: { cookie: session, origin: own, ...JSON_TYPE },
          body: '{"text":"from the board"}',
        })
      ).status,
      200,
    );
    const out = await call(port, 'DELETE', '/api/session', { headers: { cookie: session, origin: own, ...JSON_TYPE }, body: '{}' });
    t.equal(out.status, 200, out.text);
    t.match(
      String(out.headers['set-cookie']),
      /^fw_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/,
      'sign-out clears the cookie',
    );
  });

  await t.test('admin endpoints: the config with its secrets replaced, a rules reload', async (t) => {
    t.equal((await call(port, 'GET', '/api/config', { headers: access.bearer('alice') })).status, 403, 'not for an operator');
    const config = await call(port, 'GET', '/api/config', { headers: access.bearer('carol') });
    t.equal(config.status, 200);
    t.notMatch(config.text, /scrypt\$|sha256\$/, 'no password or token hash in it');
    t.match(config.json(), { access: { users: { alice: { role: 'operator', password: '(redacted)', tokens: '(redacted)' } } } });
    const reload = await call(port, 'POST', '/api/rules/reload', { headers: { ...access.bearer('carol'), ...JSON_TYPE }, body: '{}' });
    t.same([reload.status, reload.json()['ok']], [200, true]);
  });
});

t.test('anonymous reads only when the config says so; writes never', async (t) => {
  const dir = scratchDir(t);
  seedOpenIncidents(`${dir}/brain`, ['INC-0001']);
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\nrules: {enabled: false}\naccess: {anonymous_read: true}\n`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  t.equal((await call(brain.httpPort, 'GET', '/api/incidents')).status, 200, 'an anonymous read');
  const write = await call(brain.httpPort, 'POST', '/api/incidents/INC-0001/ack', { headers: JSON_TYPE, body: '{}' });
  t.same([write.status, write.json()['error']], [401, 'ack needs a signed-in user']);
  t.equal(
    (await call(brain.httpPort, 'GET', '/api/incidents', { headers: { authorization: 'Bearer stale' } })).status,
    401,
    'a wrong token is told, not read as anonymous',
  );
});
