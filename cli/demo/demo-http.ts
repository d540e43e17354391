/**
 * The demo's own HTTP side (default 127.0.0.1:7081), beside the brain's API:
 *   GET  /api/demo/pages    pages the SNPP sink accepted (what the pagers would show)
 *   GET  /api/demo/mails    mails the SMTP sink accepted
 *   GET  /api/demo/layout   where the drills' fixtures, logs, veth and InfluxDB are
 *   POST /api/demo/influxd/stop, /api/demo/influxd/start   the influx-away drill
 *   POST /api/demo/brains/start?id=brain-a   starts a brain of the pair a drill killed
 */
import { createServer, type Server } from 'node:http';
import type { DemoBrainPair } from './brain-pair.js';
import type { DemoInfluxd } from './influxd.js';
import type { DemoLayout } from './layout.js';
import type { SmtpSink } from './smtp-sink.js';
import type { SnppSink } from './snpp-sink.js';

export async function startDemoHttp(o: {
  port: number;
  layout: () => DemoLayout;
  snpp: SnppSink;
  smtp: SmtpSink;
  brains?: DemoBrainPair;
  influxd?: DemoInfluxd;
}): Promise<Server> {
  const routes: Record<string, (url: URL) => unknown | Promise<unknown>> = {
    'GET /api/demo/pages': () => ({ pages: o.snpp.pages.entries, dropped: o.snpp.pages.dropped }),
    'GET /api/demo/mails': () => ({ mails: o.smtp.mails.entries.map(({ raw: _raw, ...m }) => m), dropped: o.smtp.mails.dropped }),
    'GET /api/demo/layout': () => o.layout(),
    'POST /api/demo/influxd/stop': async () => (await o.influxd?.stop(), { running: o.influxd?.running ?? false }),
    'POST /api/demo/influxd/start': async () => (await o.influxd?.start(), { running: o.influxd?.running ?? false }),
    'POST /api/demo/brains/start': async (url) => {
      const id = url.searchParams.get('id') ?? '';
      await o.brains!.start(id);
      return { started: id, pid: o.brains!.legs.find((l) => l.id === id)?.pid };
    },
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const route = routes[`${req.method} ${url.pathname}`];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 1));
    };
    if (!route) return reply(404, { error: `${req.method} ${req.url} is not served` });
    if (url.pathname.startsWith('/api/demo/influxd/') && !o.influxd) return reply(409, { error: 'this demo runs without influxd' });
    if (url.pathname.startsWith('/api/demo/brains/') && !o.brains) return reply(409, { error: 'this demo runs no brain pair' });
    Promise.resolve(url)
      .then(route)
      .then(
        (body) => reply(200, body),
        (err: Error) => reply(500, { error: err.message }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return server;
}
