import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { InfluxV1Sink } from '../../../brain/store/influx-v1.js';
import { influxdAvailable, startInfluxd } from '../../helpers/influxd.js';
import { timing } from '../../helpers/timing.js';
import { waitFor } from '../../helpers/wait.js';

const BASE_US = 1795431000123456;

function lines(count: number, from = 0, measurement = 'nic'): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `${measurement},agent=a1,host=ws-ldn-1,iface=eth${(from + i) % 4} rx_bytes=${from + i},tx_bytes=${(from + i) * 2},up=1 ${BASE_US + from + i}`,
  );
}

/** A server answering every request with the given status and body. */
async function fakeServer(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('status mapping', async (t) => {
  const cases: [number, string, boolean | 'ok'][] = [
    [204, '', 'ok'],
    [500, '{"error":"engine: cache-max-memory-size exceeded"}', true],
    [503, 'unavailable', true],
    [429, '{"error":"too many requests"}', true],
    [400, '{"error":"unable to parse \'x\': invalid field format"}', false],
    [400, '{"error":"partial write: field type conflict: input field \\"f\\" dropped=1"}', false],
    [404, '{"error":"database not found: \\"fw\\""}', true],
    [404, '404 page not found', false],
    [401, '{"error":"authorization failed"}', true],
  ];
  for (const [status, body, expected] of cases) {
    const url = await fakeServer(t, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status).end(body));
    });
    const sink = new InfluxV1Sink({ url, database: 'fw', createDatabase: false });
    const result = await sink.write('m f=1 1', 1);
    await sink.close();
    if (expected === 'ok') t.same(result, { ok: true }, `${status}`);
    else {
      t.equal(result.ok, false, `${status} ${body}`);
      if (!result.ok) {
        t.equal(result.retryable, expected, `${status} ${body}: retryable=${expected}`);
        t.equal(result.status, status);
        t.ok(result.error.length > 0);
      }
    }
  }
});

t.test('400 carries the server reason, not the JSON wrapper', async (t) => {
  const url = await fakeServer(t, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400).end('{"error":"unable to parse \'bad\': invalid field format"}'));
  });
  const sink = new InfluxV1Sink({ url, database: 'fw', createDatabase: false });
  t.same(await sink.write('bad', 1), {
    ok: false,
    retryable: false,
    status: 400,
    error: "unable to parse 'bad': invalid field format",
  });
  await sink.close();
});

t.test('a server that never answers gives a retryable timeout within the deadline', async (t) => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    silent.close();
  });
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const sink = new InfluxV1Sink({ url, database: 'fw', createDatabase: false, timeoutMs: 300 });
  const started = Date.now();
  const result = await sink.write('m f=1 1', 1);
  timing(t, 'a write to a silent store returns (deadline 300 ms)', Date.now() - started, 2000);
  t.match(result, { ok: false, retryable: true, error: /no answer within 300 ms/ });
  t.equal(await sink.ping(), false);
  await sink.close();
});

t.test('nobody listening: retryable, no throw', async (t) => {
  const sink = new InfluxV1Sink({ url: 'http://127.0.0.1:1', database: 'fw' });
  t.match(await sink.write('m f=1 1', 1), { ok: false, retryable: true, error: /ECONNREFUSED/ });
  t.equal(await sink.ping(), false);
  await sink.close();
});

const influx = await influxdAvailable();
t.test('against a real influxd 1.x', { skip: influx.ok ? false : influx.reason }, async (t) => {
  const influxd = await startInfluxd();
  t.teardown(() => influxd.stop());

  t.test('creates the database, stores every point, µs timestamps exact', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: 'fresh_db' });
    t.teardown(() => sink.close());
    t.equal(await sink.ping(), true);
    const all = lines(20_000);
    for (let i = 0; i < all.length; i += 5000) {
      t.same(await sink.write(all.slice(i, i + 5000).join('\n'), 5000), { ok: true });
    }
    t.equal(await influxd.scalar('SELECT count(rx_bytes) FROM nic', 'fresh_db'), 20_000);
    const counts = await influxd.query('SELECT count(*) FROM nic', 'fresh_db');
    t.same(counts[0]?.values[0]?.slice(1), [20_000, 20_000, 20_000], 'count(*) per field');
    const first = await influxd.query('SELECT rx_bytes FROM nic ORDER BY time ASC LIMIT 3', 'fresh_db');
    t.same(
      first[0]?.values,
      [
        [BASE_US, 0],
        [BASE_US + 1, 1],
        [BASE_US + 2, 2],
      ],
      'precision u round-trips exactly',
    );
  });

  t.test('gzip bodies are accepted', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: 'gz', gzip: true });
    t.teardown(() => sink.close());
    t.same(await sink.write(lines(1000).join('\n'), 1000), { ok: true });
    t.equal(await influxd.scalar('SELECT count(rx_bytes) FROM nic', 'gz'), 1000);
  });

  t.test('a dropped database is created again', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: 'dropped' });
    t.teardown(() => sink.close());
    t.same(await sink.write(lines(10).join('\n'), 10), { ok: true });
    await influxd.query('DROP DATABASE "dropped"');
    const afterDrop = await sink.write(lines(10, 10).join('\n'), 10);
    t.match(afterDrop, { ok: false, retryable: true, status: 404, error: /database not found/ });
    t.same(await sink.write(lines(10, 10).join('\n'), 10), { ok: true }, 'the replay succeeds');
    t.equal(await influxd.scalar('SELECT count(rx_bytes) FROM nic', 'dropped'), 10);
  });

  t.test('a field type conflict is permanent, with the reason', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: influxd.db });
    t.teardown(() => sink.close());
    t.same(await sink.write('conflict f=1 1', 1), { ok: true });
    t.match(await sink.write('conflict f="text" 2', 1), {
      ok: false,
      retryable: false,
      status: 400,
      error: /field type conflict/,
    });
  });

  t.test('influxd down: retryable without throwing; up again: ok', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: influxd.db, timeoutMs: 2000 });
    t.teardown(() => sink.close());
    t.same(await sink.write(lines(100, 0, 'outage').join('\n'), 100), { ok: true });
    await influxd.kill('SIGTERM');
    t.match(await sink.write(lines(100, 100, 'outage').join('\n'), 100), { ok: false, retryable: true });
    t.equal(await sink.ping(), false);
    await influxd.restart();
    t.equal(await sink.ping(), true);
    t.same(await sink.write(lines(100, 100, 'outage').join('\n'), 100), { ok: true });
    t.equal(await influxd.scalar('SELECT count(rx_bytes) FROM outage'), 200);
  });

  t.test('a 10 s outage during ingest loses nothing when the caller replays', async (t) => {
    const sink = new InfluxV1Sink({ url: influxd.url, database: influxd.db, timeoutMs: 1000 });
    t.teardown(() => sink.close());
    const batches = Array.from({ length: 60 }, (_, b) => lines(500, b * 500, 'ingest').join('\n'));
    let retryableSeen = 0;
    let outage: Promise<void> | undefined;
    for (const [index, batch] of batches.entries()) {
      if (index === 10)
        outage = influxd
          .kill('SIGTERM')
          .then(() => sleep(10_000))
          .then(() => influxd.restart());
      for (;;) {
        const result = await sink.write(batch, 500);
        if (result.ok) break;
        t.equal(result.retryable, true, result.error);
        if (!result.retryable) break;
        retryableSeen++;
        await waitFor('influxd back', () => sink.ping(), { timeoutMs: 30_000, everyMs: 200 });
      }
      await sleep(20);
    }
    await outage;
    t.ok(retryableSeen > 0, `writes failed retryably during the outage (${retryableSeen})`);
    t.equal(await influxd.scalar('SELECT count(rx_bytes) FROM ingest'), 30_000);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
