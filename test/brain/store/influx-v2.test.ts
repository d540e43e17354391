import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { InfluxV2Sink } from '../../../brain/store/influx-v2.js';
import { influxdAvailable, startInfluxd } from '../../helpers/influxd.js';
import { startVictoria, victoriaAvailable } from '../../helpers/victoria.js';

t.test('request shape and status mapping against a fake 2.x server', async (t) => {
  const seen: { url?: string; auth?: string; body: string }[] = [];
  let answer: [number, string] = [204, ''];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ ...(req.url ? { url: req.url } : {}), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sink = new InfluxV2Sink({ url, org: 'floor ops', bucket: 'fw/raw', token: 's3cret' });
  t.teardown(() => sink.close());

  t.same(await sink.write('m f=1 1', 1), { ok: true });
  t.same(seen[0], { url: '/api/v2/write?org=floor+ops&bucket=fw%2Fraw&precision=us', auth: 'Token s3cret', body: 'm f=1 1' });

  answer = [400, '{"code":"invalid","message":"unable to parse \'x\': invalid field format"}'];
  t.same(await sink.write('x', 1), { ok: false, retryable: false, status: 400, error: "unable to parse 'x': invalid field format" });
  answer = [503, '{"code":"unavailable","message":"busy"}'];
  t.match(await sink.write('m f=1 1', 1), { ok: false, retryable: true, status: 503 });
  answer = [429, '{"code":"too many requests","message":"slow down"}'];
  t.match(await sink.write('m f=1 1', 1), { ok: false, retryable: true, status: 429 });
  answer = [401, '{"code":"unauthorized","message":"unauthorized access"}'];
  t.match(await sink.write('m f=1 1', 1), { ok: false, retryable: true, status: 401, error: /not authorised/ });
  answer = [204, ''];
  t.equal(await sink.ping(), true);
});

t.test('nobody listening: retryable, no throw; ping false', async (t) => {
  const sink = new InfluxV2Sink({ url: 'http://127.0.0.1:1', org: 'o', bucket: 'b', token: 't' });
  t.match(await sink.write('m f=1 1', 1), { ok: false, retryable: true, error: /ECONNREFUSED/ });
  t.equal(await sink.ping(), false);
  await sink.close();
});

const victoria = await victoriaAvailable();
t.test(
  'real VictoriaMetrics: lines written through /api/v2/write are counted back',
  { skip: victoria.ok ? false : victoria.reason },
  async (t) => {
    const vm = await startVictoria();
    t.teardown(() => vm.stop());
    const sink = new InfluxV2Sink({ url: vm.url, org: 'floor', bucket: 'floorwatch', token: 'unused' });
    t.teardown(() => sink.close());
    t.equal(await sink.ping(), true);
    const nowUs = Date.now() * 1000;
    for (let batch = 0; batch < 4; batch++) {
      const lines = Array.from({ length: 1000 }, (_, i) => {
        const n = batch * 1000 + i;
        // VictoriaMetrics keeps milliseconds: one sample per ms per series.
        return `memory,agent=a1,host=ws-${n % 2},desk=fx\\ spot dirty_bytes=${n},writeback_bytes=${n * 2} ${nowUs - (4000 - n) * 1000}`;
      });
      t.same(await sink.write(lines.join('\n'), lines.length), { ok: true });
    }
    t.equal(await vm.waitForSamples('{__name__="memory_dirty_bytes"}', 4000), 4000);
    t.equal(await vm.waitForSamples('{__name__="memory_writeback_bytes"}', 4000), 4000);
    const series = await vm.exportSeries('{__name__="memory_dirty_bytes"}');
    t.same(
      series.map((s) => s.metric['desk']),
      ['fx spot', 'fx spot'],
      'escaped tag value arrives unescaped',
    );
  },
);

const influx = await influxdAvailable();
t.test(
  'real influxd 1.6: a permanent 404 that says the API is wrong, not a crash',
  { skip: influx.ok ? false : influx.reason },
  async (t) => {
    const influxd = await startInfluxd();
    t.teardown(() => influxd.stop());
    const sink = new InfluxV2Sink({ url: influxd.url, org: 'o', bucket: 'floorwatch', token: 't' });
    t.teardown(() => sink.close());
    const result = await sink.write('m f=1 1', 1);
    t.match(result, {
      ok: false,
      retryable: false,
      status: 404,
      error: /api\/v2\/write does not exist on this server \(wrong API or version\?\)/,
    });
    t.equal(await sink.ping(), true, '/ping exists on 1.x too');
  },
);
