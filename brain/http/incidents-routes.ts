/**
 * The incidents over HTTP, for the wall board and the CLI (`floorwatch incidents|ack|note|silence`).
 * The actor of every change is the caller's identity, never a field of the body.
 *   GET  /api/incidents[?status=active|all|open|acknowledged|resolved&limit=N]
 *   GET  /api/incidents/ID            GET /api/incidents/ID/report (markdown)
 *   POST /api/incidents/ID/ack        {"note": "..."}                          operator
 *   POST /api/incidents/ID/note       {"text": "...", "for_clients": false}     operator
 *   POST /api/incidents/ID/silence    {"reason": "...", "for": "30m"} or {"until_ms": N}   operator
 *   POST /api/incidents/ID/resolve    {"reason": "..."}                        operator
 */
import { Refusal } from './guard.js';
import { int, text } from './params.js';
import type { Route } from './route.js';

const ID = '([A-Za-z0-9._-]{1,64})';
const at = (suffix = '') => new RegExp(`^/api/incidents/${ID}${suffix}$`);
/** The longest silence: a month, after which someone must look again. */
const MAX_SILENCE_MS = 31 * 86_400_000;

export const incidentRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/incidents',
    action: 'read',
    query: {
      status: { kind: 'enum', values: ['active', 'all', 'open', 'acknowledged', 'resolved'], default: 'active' },
      limit: int(1, 10_000, 100),
    },
    handle: ({ deps, query }) => ({ body: deps.incidents.list({ status: query['status'] as string, limit: query['limit'] as number }) }),
  },
  { method: 'GET', path: at(), action: 'read', handle: ({ deps, params }) => ({ body: deps.incidents.get(params[0]!) }) },
  {
    method: 'GET',
    path: at('/report'),
    action: 'read',
    handle: ({ deps, params }) => ({ body: deps.incidents.report(params[0]!), type: 'text/markdown; charset=utf-8' }),
  },
  {
    method: 'POST',
    path: at('/ack'),
    action: 'ack',
    body: { note: text(2000) },
    handle: ({ deps, params, who, body }) => ({
      body: deps.incidents.ack(params[0]!, who!.name, (body['note'] as string | undefined) || undefined),
    }),
  },
  {
    method: 'POST',
    path: at('/note'),
    action: 'note',
    body: { text: text(4000, true), for_clients: { kind: 'boolean' } },
    handle: ({ deps, params, who, body }) => ({
      body: deps.incidents.note(params[0]!, who!.name, body['text'] as string, body['for_clients'] === true),
    }),
  },
  {
    method: 'POST',
    path: at('/silence'),
    action: 'silence',
    body: { reason: text(1000, true), for: { kind: 'duration', maxMs: MAX_SILENCE_MS }, until_ms: { kind: 'epoch_ms' } },
    handle: ({ deps, params, who, body }) => {
      if (body['for'] !== undefined && body['until_ms'] !== undefined)
        throw new Refusal(400, 'give for or until_ms, not both', 'bad_request');
      const until = body['for'] !== undefined ? deps.now() + (body['for'] as number) : (body['until_ms'] as number | undefined);
      return { body: deps.incidents.silence(params[0]!, who!.name, body['reason'] as string, until) };
    },
  },
  {
    method: 'POST',
    path: at('/resolve'),
    action: 'resolve',
    body: { reason: text(1000, true) },
    handle: ({ deps, params, who, body }) => ({ body: deps.incidents.resolve(params[0]!, who!.name, body['reason'] as string) }),
  },
];
