/**
 * A seeded fuzz run of the brain's HTTP side, over raw TCP against a real `floorwatch brain`
 * process: thousands of requests with malformed and hostile methods, targets, query strings,
 * headers (Host, Origin, Authorization, cookies, content types and lengths, chunking) and
 * bodies (broken JSON, wrong types, deep nesting, past the size limit), some with real tokens of
 * every role so the handlers themselves are reached with bad values. It must end with no 5xx
 * answer, the brain still up and answering, and its memory bounded.
 *
 * FUZZ_SEED and FUZZ_REQUESTS change the run; a failure prints the seed and the requests that
 * got a 5xx, so it can be replayed (FUZZ_SHOW_CLOSED=1 prints those closed without an answer).
 */
import t from 'tap';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { testAccess } from '../../helpers/access.js';
import { seedOpenIncidents } from '../../helpers/incidents.js';
import { floorwatch, scratchDir, writeYaml } from '../../helpers/floorwatch.js';
import { freePort } from '../../helpers/wait.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 13_013);
const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 4_000);
const CONCURRENCY = 12;
/** RSS may grow this much from the end of the first round to the end of the last (V8 heap settling, not a leak). */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;

/** mulberry32: small, seeded, good enough to pick from lists. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fuzz {
  pick<T>(xs: readonly T[]): T;
  int(n: number): number;
  chance(p: number): boolean;
  bytes(n: number): string;
}

function fuzzer(seed: number): Fuzz {
  const r = rng(seed);
  return {
    pick: (xs) => xs[Math.floor(r() * xs.length)]!,
    int: (n) => Math.floor(r() * n),
    chance: (p) => r() < p,
    bytes: (n) => Array.from({ length: n }, () => String.fromCharCode(Math.floor(r() * 256))).join(''),
  };
}

const INCIDENTS = ['INC-0001', 'INC-0002', 'INC-0003'];
const PATHS = [
  '/api/health',
  '/api/agents',
  '/api/series',
  '/api/events',
  '/api/wallboard',
  '/metrics',
  '/api/incidents',
  ...INCIDENTS.flatMap((id) => [
    `/api/incidents/${id}`,
    `/api/incidents/${id}/ack`,
    `/api/incidents/${id}/note`,
    `/api/incidents/${id}/silence`,
    `/api/incidents/${id}/report`,
  ]),
  '/api/session',
  '/api/config',
  '/api/rules/reload',
  '/',
  '/console/',
  '/console/console.js',
  '/console/login.js',
  '/incidents/INC-0001',
  '/favicon.ico',
];
const PARAMS = ['limit', 'status', 'agent', 'measurement', 'field', 'after', 'kind'];
const VALUES = [
  '1',
  '0',
  '-1',
  'abc',
  '1e9',
  '99999999999999999999',
  '',
  '%zz',
  '%00',
  'active',
  'all',
  'true',
  '10000',
  '10001',
  'x'.repeat(300),
  '\u00e9',
  '1.5',
  ' 7',
];

function target(f: Fuzz, sane: boolean): string {
  let path = f.pick(PATHS);
  const mutate = sane ? 99 : f.int(12);
  if (mutate === 0) path += '/' + f.pick(['..', '%2e%2e', 'x', '%zz', '%00', '', 'ack', 'ack/ack', '..%2f..%2fetc%2fpasswd']);
  if (mutate === 1) path = path.replace(/\//g, f.pick(['//', '/./', '\\']));
  if (mutate === 2) path = '/' + 'a/'.repeat(f.int(3000));
  if (mutate === 3)
    path = f.pick([
      '*',
      'http://evil.example/api/health',
      '',
      'api/health',
      '/%',
      '/\u00ff\u00fe',
      '/ /',
      '/api/incidents/' + 'I'.repeat(100),
    ]);
  if (mutate === 4) path = path.toUpperCase();
  const n = f.chance(sane ? 0.3 : 0.5) ? f.int(sane ? 2 : 5) : 0;
  const query = Array.from(
    { length: n },
    () =>
      `${f.chance(0.8) ? f.pick(PARAMS) : f.pick(['x', 'by', '__proto__', 'limit[]', '', '%zz'])}${f.chance(0.9) ? `=${encodeURIComponent(f.pick(VALUES))}` : ''}`,
  );
  if (f.chance(0.05)) query.push(f.bytes(f.int(40)).replace(/[\r\n ]/g, 'x'));
  return query.length ? `${path}?${query.join('&')}` : path;
}

function body(f: Fuzz): string {
  switch (f.int(14)) {
    case 0:
      return '';
    case 1:
      return f.bytes(f.int(2048));
    case 2:
      return '['.repeat(20_000);
    case 3:
      return JSON.stringify({ note: 'x'.repeat(70_000) });
    case 4:
      return '{"__proto__": {"polluted": true}, "text": "p"}';
    case 5:
      return JSON.stringify({ by: 'mallory', note: 'forged' });
    case 6:
      return JSON.stringify({ text: f.pick([1, null, true, [], {}, 'ok', '']), for_clients: f.pick([true, 'yes', 1, null]) });
    case 7:
      return JSON.stringify({
        reason: f.pick(['maint', '', 7]),
        for: f.pick(['30m', '2h', '1d', '30', 'abc', '99999999999999999d', '0s', 5]),
        until_ms: f.pick([undefined, 1, -5, 1e300, '5', Date.now() + 60_000]),
      });
    case 8:
      return JSON.stringify({
        user: f.pick(['alice', 'nobody', '', 'x'.repeat(100)]),
        password: f.pick(['wrong', '', 'operator-password', 'p'.repeat(2000)]),
      });
    case 9:
      return '1e400';
    case 10:
      return '{"note": "\\ud800"}';
    case 11:
      return 'null';
    case 12:
      return '{"a":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001);
    default:
      return '{}';
  }
}

interface Credentials {
  bearer: Record<string, string>;
  port: number;
}

/**
 * Half the requests are well-formed with fuzzed targets, queries and bodies (so the routes and
 * handlers are reached with bad values); the other half are hostile at every level.
 */
function request(f: Fuzz, c: Credentials): string {
  const sane = f.chance(0.5);
  const either = <T>(good: readonly T[], any: readonly T[]) => f.pick(sane ? good : any);
  const method = either(
    ['GET', 'POST', 'HEAD', 'DELETE'],
    [
      'GET',
      'GET',
      'GET',
      'POST',
      'POST',
      'POST',
      'HEAD',
      'PUT',
      'DELETE',
      'OPTIONS',
      'PATCH',
      'TRACE',
      'get',
      'G ET',
      'CONNECT',
      f.bytes(6).replace(/[\r\n ]/g, 'x'),
      '',
    ],
  );
  const version = either(
    ['HTTP/1.1', 'HTTP/1.0'],
    ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/9.9'],
  );
  const own = `127.0.0.1:${c.port}`;
  const headers: string[] = [];
  const host = either(
    [own],
    [own, own, own, own, own, 'localhost', 'evil.example', '', '[::1]', 'a'.repeat(300), `${own}\u0001`, undefined],
  );
  if (host !== undefined) headers.push(`Host: ${host}`);
  const auth = either(Object.values(c.bearer), [
    undefined,
    undefined,
    ...Object.values(c.bearer),
    'Bearer fwt_' + 'A'.repeat(43),
    'Bearer',
    'Basic YWxpY2U6eA==',
    'Bearer ' + 'x'.repeat(5000),
    f.bytes(20).replace(/[\r\n]/g, ''),
  ]);
  if (auth !== undefined) headers.push(`Authorization: ${auth}`);
  const type = either(
    ['application/json'],
    [
      undefined,
      'application/json',
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/jsonx',
      ';;;',
    ],
  );
  if (type !== undefined) headers.push(`Content-Type: ${type}`);
  const origin = either(
    [undefined],
    [undefined, undefined, undefined, `http://${own}`, 'http://evil.example', 'null', `https://${own}`, f.bytes(10).replace(/[\r\n]/g, '')],
  );
  if (origin !== undefined) headers.push(`Origin: ${origin}`);
  const site = sane ? undefined : f.pick([undefined, undefined, undefined, 'same-origin', 'cross-site', 'same-site', 'none']);
  if (site !== undefined) headers.push(`Sec-Fetch-Site: ${site}`);
  const cookie = sane
    ? undefined
    : f.pick([
        undefined,
        undefined,
        undefined,
        'fw_session=garbage',
        'fw_session=YWxpY2U.mxda8n1t.I7_YzlbR1DBUdzu3.INxA0jOnFU6s_R62g77RVxioHD5BT0IIotwdEAGJP5Y',
        'a=b; fw_session=; c',
        'fw_session=' + 'x.'.repeat(400),
      ]);
  if (cookie !== undefined) headers.push(`Cookie: ${cookie}`);
  if (!sane && f.chance(0.05)) headers.push(`X-Junk: ${'j'.repeat(f.pick([10, 20_000]))}`);
  if (!sane && f.chance(0.03)) headers.push('no colon here');
  if (!sane && f.chance(0.02)) for (let i = 0; i < 150; i++) headers.push(`X-H${i}: ${i}`);
  const payload = method.startsWith('G') && f.chance(0.8) ? '' : body(f);
  const length = Buffer.byteLength(payload, 'latin1');
  const framing = sane ? 9 : f.int(10);
  let wire = payload;
  if (framing === 0) (headers.push('Transfer-Encoding: chunked'), (wire = `${length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`));
  else if (framing === 1) (headers.push('Transfer-Encoding: chunked'), (wire = `zz\r\n${payload}\r\n`));
  else if (framing === 2)
    headers.push(`Content-Length: ${f.pick([length + 10, Math.max(0, length - 1), -1, 'abc', 99_999_999, `${length}, ${length}`])}`);
  else if (framing === 3) headers.push(`Content-Length: ${length}`, `Content-Length: ${length + 1}`);
  else if (length > 0 || f.chance(0.5)) headers.push(`Content-Length: ${length}`);
  if (f.chance(0.8)) headers.push('Connection: close');
  return `${method} ${target(f, sane)} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${wire}`;
}

/** The status of the first answer, or 0 when the brain closed without one; never hangs past 20 s. */
function send(port: number, raw: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : 0);
    };
    const timer = setTimeout(done, 20_000);
    // Not half-closed at once: Node aborts a request whose client sent FIN (an async handler's
    // answer would be lost). A request still waiting for promised body bytes gets the FIN later.
    const finish = setTimeout(() => socket.end(), 2_000);
    socket.on('connect', () => socket.write(Buffer.from(raw, 'latin1')));
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(got)) (clearTimeout(timer), clearTimeout(finish), done());
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (clearTimeout(timer), clearTimeout(finish), done()));
  });
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

t.test(`seeded HTTP fuzz (seed ${SEED}, ${REQUESTS} requests): no 5xx, no crash, bounded memory`, async (t) => {
  const dir = scratchDir(t);
  const access = await testAccess([
    { name: 'view', role: 'viewer' },
    { name: 'op', role: 'operator', password: 'operator-password' },
    { name: 'boss', role: 'admin' },
  ]);
  const http = await freePort();
  seedOpenIncidents(`${dir}/brain`, INCIDENTS);
  const config = writeYaml(
    dir,
    'brain.yaml',
    `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:${http}\nspool: {fsync: false}\ncorrelation: {restart_confirm_ms: 0}\nrules: {dir: ${dir}/rules}\n${access.yaml}`,
  );
  mkdirSync(`${dir}/rules`);
  const brain = floorwatch(['brain', '--config', config]);
  t.teardown(() => brain.kill('SIGKILL'));
  await brain.line((l) => l['ready'] === 'brain');
  const pid = brain.child.pid!;
  const credentials: Credentials = {
    port: http,
    bearer: {
      view: access.bearer('view').authorization!,
      op: access.bearer('op').authorization!,
      boss: access.bearer('boss').authorization!,
    },
  };

  const f = fuzzer(SEED);
  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  const rounds = 4;
  const rss: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const batch = Array.from({ length: REQUESTS / rounds }, () => request(f, credentials));
    for (let i = 0; i < batch.length; i += CONCURRENCY) {
      const slice = batch.slice(i, i + CONCURRENCY);
      const got = await Promise.all(slice.map((raw) => send(http, raw)));
      got.forEach((status, j) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) serverErrors.push(slice[j]!.slice(0, 600));
        if (status === 0 && process.env['FUZZ_SHOW_CLOSED']) console.error(JSON.stringify(slice[j]!.slice(0, 300)));
      });
    }
    rss.push(rssOf(pid));
  }
  const summary = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s === 0 ? 'closed' : s}: ${n}`)
    .join(', ');
  t.comment(`seed ${SEED}: ${summary}; RSS by round ${rss.map((b) => `${Math.round(b / 1048576)} MiB`).join(' → ')}`);
  t.same(serverErrors.slice(0, 3), [], `no 5xx answer (seed ${SEED}; ${serverErrors.length} in all)`);
  t.ok(
    [...statuses.keys()].some((s) => s >= 200 && s < 300),
    'some requests were valid enough to succeed (the handlers were reached)',
  );
  t.ok((statuses.get(0) ?? 0) < REQUESTS / 100, `hardly any request closed without an answer (${statuses.get(0) ?? 0})`);
  t.equal(brain.child.exitCode, null, 'the brain is still running');
  const health = await fetch(`http://127.0.0.1:${http}/api/health`, { headers: access.bearer('view') });
  t.equal(health.status, 200, 'and answers');
  t.ok(
    rss.at(-1)! - rss[0]! < RSS_GROWTH_BOUND,
    `memory bounded: RSS ${rss.map((b) => Math.round(b / 1048576)).join(' → ')} MiB (growth under ${RSS_GROWTH_BOUND / 1048576} MiB)`,
  );
  t.notMatch(brain.stderr.join('\n'), /uncaught|unhandled|TypeError|RangeError/i, 'nothing thrown past the handlers');
});
