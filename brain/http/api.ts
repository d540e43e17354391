/**
 * The brain's HTTP side: GET /api/health (JSON), GET /metrics (Prometheus text, so the monitor
 * can itself be monitored), GET /api/agents, /api/series, /api/events, the wall board
 * (GET / and /console/*, fed by /api/wallboard) and the incidents (incidents-routes.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { AgentRegistry } from '../ingest/agents.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { IncidentApi } from '../incidents/api.js';
import { incidentsRoute } from './incidents-routes.js';
import { consoleFile } from './console-files.js';
import { wallboard } from './wallboard.js';

export interface ApiDeps {
  brainId: string;
  version: string;
  agents: AgentRegistry;
  series: SeriesTable;
  events: EventLog;
  metrics: MetricsRegistry;
  incidents: IncidentApi;
  store: () => Record<string, unknown>;
  startedMs: number;
  now: () => number;
  /** Each market's trading phase now (from the rules' calendar), for the wall board. */
  phases?: () => Record<string, string>;
}

type Handler = (url: URL, deps: ApiDeps) => unknown;

const routes: Record<string, Handler> = {
  '/api/health': (_url, d) => ({
    status: 'ok',
    brain: d.brainId,
    version: d.version,
    uptime_s: Math.round((d.now() - d.startedMs) / 1000),
    agents_known: [...d.agents.all()].length,
    agents_connected: d.agents.connectedCount,
    series: d.series.size,
    samples_ingested: sumAgents(d, (a) => a.samplesReceived),
    batches_ingested: sumAgents(d, (a) => a.batchesReceived),
    events: d.events.total,
    store: d.store(),
  }),
  '/api/agents': (_url, d) =>
    [...d.agents.all()].map((a) => ({
      id: a.id,
      host: a.host,
      labels: a.labels,
      version: a.softwareVersion,
      connected: a.connected,
      peer: a.peer,
      last_heard_ms: a.lastHeardMs,
      silent_since_ms: a.silentSinceMs ?? null,
      acked_seq: a.ackedSeq,
      samples_received: a.samplesReceived,
      duplicate_batches: a.duplicateBatches,
      missing_batches: a.missingBatches,
      agent_cumulative_samples: a.agentCumulativeSamples,
      agent_dropped_samples: a.agentDroppedSamples,
    })),
  '/api/series': (url, d) => {
    const filter: { agentId?: string; measurement?: string; field?: string } = {};
    const agent = url.searchParams.get('agent');
    const measurement = url.searchParams.get('measurement');
    const field = url.searchParams.get('field');
    if (agent) filter.agentId = agent;
    if (measurement) filter.measurement = measurement;
    if (field) filter.field = field;
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const out = [];
    for (const s of d.series.select(filter)) {
      out.push({ agent: s.agentId, measurement: s.measurement, field: s.field, tags: s.tags, value: Number.isNaN(s.last) ? null : s.last, time_us: s.lastUs });
      if (out.length >= limit) break;
    }
    return out;
  },
  '/api/wallboard': (_url, d) => wallboard(d),
  '/api/events': (url, d) => {
    const after = url.searchParams.get('after');
    const kind = url.searchParams.get('kind');
    return d.events.recent({ ...(after ? { afterId: Number(after) } : {}), ...(kind ? { kind } : {}), limit: Number(url.searchParams.get('limit') ?? 200) });
  },
};

function sumAgents(d: ApiDeps, f: (a: ReturnType<AgentRegistry['ensure']>) => number): number {
  let n = 0;
  for (const a of d.agents.all()) n += f(a);
  return n;
}

export function startApi(address: { host: string; port: number }, deps: ApiDeps): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://brain');
    if (url.pathname.startsWith('/api/incidents')) {
      readJson(req, (err, body) => {
        if (err) return reply(res, 400, { error: err.message });
        try {
          const r = incidentsRoute(deps.incidents, req.method ?? 'GET', url, body);
          if (!r) return reply(res, 404, { error: `no such endpoint ${url.pathname}` });
          if (r.type) {
            res.writeHead(r.status, { 'content-type': r.type });
            return res.end(String(r.body));
          }
          reply(res, r.status, r.body);
        } catch (e) {
          reply(res, 500, { error: (e as Error).message });
        }
      });
      return;
    }
    if (req.method !== 'GET') return reply(res, 405, { error: 'only GET is served here' });
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    const file = consoleFile(url.pathname);
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'content-security-policy': "default-src 'self'", 'cache-control': 'no-cache' });
      return res.end(file.body);
    }
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(deps.metrics.render());
    }
    const route = routes[url.pathname];
    if (!route) return reply(res, 404, { error: `no such endpoint ${url.pathname}`, endpoints: ['/metrics', '/api/incidents', ...Object.keys(routes)] });
    try {
      reply(res, 200, route(url, deps));
    } catch (err) {
      reply(res, 500, { error: (err as Error).message });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve(server));
  });
}

/** A JSON body of at most 64 KiB (empty: undefined). */
function readJson(req: IncomingMessage, done: (err: Error | undefined, body?: Record<string, unknown>) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > 65536) {
      req.destroy();
      return done(new Error('body larger than 64 KiB'));
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (size === 0) return done(undefined, undefined);
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return done(new Error('body must be a JSON object'));
      done(undefined, parsed as Record<string, unknown>);
    } catch (err) {
      done(new Error(`body is not JSON: ${(err as Error).message}`));
    }
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
