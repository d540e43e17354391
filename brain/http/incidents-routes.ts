/**
 * The incidents over HTTP, for the console and the CLI (`floorwatch incidents|ack|note|silence`):
 *   GET  /api/incidents[?status=active|all|open|acknowledged|resolved&limit=N]
 *   GET  /api/incidents/ID            GET /api/incidents/ID/report (markdown)
 *   POST /api/incidents/ID/ack        {"by": "...", "note": "..."}
 *   POST /api/incidents/ID/note       {"by": "...", "text": "..."}
 *   POST /api/incidents/ID/silence    {"by": "...", "reason": "...", "until_ms": 0}
 */
import type { IncidentApi } from '../incidents/api.js';
import { IncidentError } from '../incidents/api.js';

export interface HttpReply {
  status: number;
  body: unknown;
  type?: string;
}

const PATH = /^\/api\/incidents(?:\/([A-Za-z0-9._-]+)(?:\/(report|ack|note|silence))?)?$/;

/** Undefined when the path is not an incidents path. */
export function incidentsRoute(api: IncidentApi, method: string, url: URL, body: Record<string, unknown> | undefined): HttpReply | undefined {
  const m = PATH.exec(url.pathname);
  if (!m) return undefined;
  const [, id, action] = m;
  try {
    if (method === 'GET' && !id) {
      const status = url.searchParams.get('status') ?? undefined;
      const limit = url.searchParams.get('limit');
      return { status: 200, body: api.list({ status, limit: limit === null ? 100 : Number(limit) }) };
    }
    if (method === 'GET' && id && !action) return { status: 200, body: api.get(id) };
    if (method === 'GET' && id && action === 'report') return { status: 200, body: api.report(id), type: 'text/markdown; charset=utf-8' };
    if (method === 'POST' && id && action) {
      const b = body ?? {};
      const text = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
      if (action === 'ack') return { status: 200, body: api.ack(id, text('by'), text('note') || undefined) };
      if (action === 'note') return { status: 200, body: api.note(id, text('by'), text('text')) };
      if (action === 'silence') {
        const until = typeof b['until_ms'] === 'number' ? (b['until_ms'] as number) : undefined;
        return { status: 200, body: api.silence(id, text('by'), text('reason'), until) };
      }
    }
    return { status: 405, body: { error: `${method} ${url.pathname} is not served` } };
  } catch (err) {
    if (err instanceof IncidentError) return { status: err.http, body: { error: err.message, code: err.code } };
    throw err;
  }
}
