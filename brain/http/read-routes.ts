/**
 * What a viewer reads: GET /api/health, /api/agents, /api/series, /api/events, /api/wallboard,
 * /api/hosts/ID (one host's detail for the board, brain/http/host-detail.ts) and
 * /metrics (Prometheus text, so the monitor can itself be monitored); and the wall board's files,
 * which anyone may load (they hold no data; the login form is among them).
 */
import type { AgentRegistry } from '../ingest/agents.js';
import { consoleFile } from './console-files.js';
import { hostDetail } from './host-detail.js';
import { int, text } from './params.js';
import type { ApiDeps, Route } from './route.js';
import { wallboard } from './wallboard.js';

const NAME = text(256);

export const readRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/health',
    action: 'read',
    handle: ({ deps: d }) => ({
      body: {
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
        ...(d.pair ? { pair: d.pair() } : {}),
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/agents',
    action: 'read',
    handle: ({ deps: d }) => ({
      body: [...d.agents.all()].map((a) => ({
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
        inventory: a.inventory ?? null,
      })),
    }),
  },
  {
    // The fleet: each agent's version and config digests against this brain's, and why it is
    // outdated (`floorwatch agents --outdated`).
    method: 'GET',
    path: '/api/fleet',
    action: 'read',
    handle: ({ deps: d }) => ({
      body: {
        brain: d.brainId,
        version: d.version,
        agent_config_hash: d.agentConfigHash ?? '',
        agents: [...d.agents.all()].map((a) => {
          const outdated: string[] = [];
          if (a.softwareVersion !== d.version) outdated.push(`version ${a.softwareVersion || '?'} (brain ${d.version})`);
          if (!a.inventory) outdated.push('no inventory reported (an agent older than the fleet inventory, or still collecting)');
          else if ((d.agentConfigHash ?? '') !== a.inventory.pushed_config_hash)
            outdated.push(`pushed config ${a.inventory.pushed_config_hash || 'none'} (brain ${d.agentConfigHash || 'none'})`);
          return {
            id: a.id,
            host: a.host,
            connected: a.connected,
            version: a.softwareVersion,
            config_hash: a.inventory?.config_hash ?? null,
            pushed_config_hash: a.inventory?.pushed_config_hash ?? null,
            os: a.inventory?.os ?? null,
            kernel: a.inventory?.kernel ?? null,
            outdated,
          };
        }),
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/series',
    action: 'read',
    query: { agent: NAME, measurement: NAME, field: NAME, limit: int(1, 10_000, 1000) },
    handle: ({ deps: d, query: q }) => {
      const filter: { agentId?: string; measurement?: string; field?: string } = {};
      if (q['agent']) filter.agentId = q['agent'] as string;
      if (q['measurement']) filter.measurement = q['measurement'] as string;
      if (q['field']) filter.field = q['field'] as string;
      const limit = q['limit'] as number;
      const out = [];
      for (const s of d.series.select(filter)) {
        out.push({
          agent: s.agentId,
          measurement: s.measurement,
          field: s.field,
          tags: s.tags,
          value: Number.isNaN(s.last) ? null : s.last,
          time_us: s.lastUs,
        });
        if (out.length >= limit) break;
      }
      return { body: out };
    },
  },
  { method: 'GET', path: '/api/wallboard', action: 'read', handle: ({ deps }) => ({ body: wallboard(deps) }) },
  {
    method: 'GET',
    path: /^\/api\/hosts\/([A-Za-z0-9._:-]{1,128})$/,
    action: 'read',
    handle: ({ deps, params }) => ({ body: hostDetail(deps, params[0]!) }),
  },
  {
    method: 'GET',
    path: '/api/events',
    action: 'read',
    query: { after: int(0, Number.MAX_SAFE_INTEGER), kind: text(128), limit: int(1, 1000, 200) },
    handle: ({ deps: d, query: q }) => ({
      body: d.events.recent({
        ...(q['after'] !== undefined ? { afterId: q['after'] as number } : {}),
        ...(q['kind'] ? { kind: q['kind'] as string } : {}),
        limit: q['limit'] as number,
      }),
    }),
  },
  {
    method: 'GET',
    path: '/metrics',
    action: 'read',
    handle: async ({ deps }) => ({ body: await deps.metrics.render(), type: deps.metrics.contentType }),
  },
  { method: 'GET', path: '/favicon.ico', action: 'public', handle: () => ({ status: 204, body: '' }) },
  {
    method: 'GET',
    path: /^(\/|\/console\/?|\/console\/[a-z-]+\.(?:js|css)|\/incidents\/[A-Za-z0-9._-]{1,64}|\/hosts\/[A-Za-z0-9._:-]{1,128})$/,
    action: 'public',
    // The board's own: how often it polls (ms; the tests redraw it many times quickly).
    query: { poll: int(100, 60_000) },
    handle: ({ params }) => {
      const file = consoleFile(params[0]!);
      if (!file) return { status: 404, body: { error: `no such file ${params[0]}` } };
      return { body: file.body, type: file.type, headers: { 'cache-control': 'no-cache' } };
    },
  },
];

function sumAgents(d: ApiDeps, f: (a: ReturnType<AgentRegistry['ensure']>) => number): number {
  let n = 0;
  for (const a of d.agents.all()) n += f(a);
  return n;
}
