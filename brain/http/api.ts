/**
 * The brain's HTTP side: the wall board, the read API, the incidents, the login and the admin
 * endpoints (route tables in *-routes.ts). Every request, in this order: security headers, a
 * path-only target, a Host this brain answers to, a route, valid query parameters, the caller's
 * identity (token, session cookie, or anonymous where allowed) and the right to the route's
 * action; then for writes, same origin, JSON and a bounded body. Every refusal is a 4xx with a
 * reason, counted on /metrics by reason.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Counter } from '../../lib/metrics.js';
import { ANONYMOUS, type Identity } from '../access/access.js';
import { may } from '../access/roles.js';
import { cookieValue, SESSION_COOKIE } from '../access/session-cookie.js';
import { IncidentError } from '../incidents/api.js';
import { adminRoutes } from './admin-routes.js';
import { checkHost, checkSameOrigin, readJsonObject, Refusal, requestTarget, setSecurityHeaders } from './guard.js';
import { incidentRoutes } from './incidents-routes.js';
import { bodyValues, queryValues } from './params.js';
import { readRoutes } from './read-routes.js';
import { matchPath, type ApiDeps, type Route, type RouteReply } from './route.js';
import { sessionCookie, sessionRoutes } from './session-routes.js';

export type { ApiDeps } from './route.js';

const ROUTES: readonly Route[] = [...readRoutes, ...incidentRoutes, ...sessionRoutes, ...adminRoutes];

export interface ApiOptions {
  /** Serve HTTPS with this key pair (PEM); plain HTTP without it. */
  tls?: { cert: Buffer; key: Buffer };
}

export function startApi(address: { host: string; port: number }, deps: ApiDeps, options: ApiOptions = {}): Promise<Server> {
  const tls = options.tls !== undefined;
  const counters = {
    refused: deps.metrics.counter(
      'floorwatch_http_refused_total',
      'HTTP requests refused, by reason (auth, forbidden, origin, content_type, too_large, bad_request, host...).',
      ['reason'],
    ),
    failed: deps.metrics.counter('floorwatch_http_errors_total', 'HTTP requests that failed inside the brain (answered 500).'),
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => void handle(req, res, deps, tls, counters);
  const server = tls ? createHttpsServer({ cert: options.tls!.cert, key: options.tls!.key }, handler) : createHttpServer(handler);
  // Slow or silent clients are cut off; a malformed request gets a 400 from the parser itself.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  server.maxConnections = 1_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    counters.refused.inc(1, { reason: 'malformed' });
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    // end() flushes the answer first; a client that never closes its side is cut off.
    setTimeout(() => socket.destroy(), 2_000).unref();
  });
  // CONNECT (a proxy's method) would otherwise close the socket without a word.
  server.on('connect', (_req: IncomingMessage, socket: import('node:stream').Duplex) => {
    counters.refused.inc(1, { reason: 'method' });
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    setTimeout(() => socket.destroy(), 2_000).unref();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve(server));
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiDeps,
  tls: boolean,
  counters: { refused: Counter; failed: Counter },
): Promise<void> {
  setSecurityHeaders(res, tls);
  // A client gone mid-request is answered by nobody; neither side's stream error may throw.
  req.on('error', () => undefined);
  res.on('error', () => undefined);
  try {
    const url = requestTarget(req.url);
    checkHost(req.headers.host, deps.hosts);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
    const { route, params } = findRoute(method, url.pathname);
    const query = queryValues(route.query ?? {}, url.searchParams);
    const caller = identify(req, deps);
    authorise(route, caller.who);
    let body = {};
    if (method !== 'GET') {
      checkSameOrigin(req, tls, deps.origins, caller.who?.via === 'session');
      body = bodyValues(route.body ?? {}, await readJsonObject(req));
    }
    const reply = await route.handle({ params, query, body, who: caller.who, deps, tls });
    if (caller.renew) res.appendHeader('set-cookie', sessionCookie(caller.renew, Math.floor(deps.access.ttlMs / 1000), tls));
    send(res, reply);
  } catch (err) {
    if (err instanceof Refusal) {
      counters.refused.inc(1, { reason: err.reason });
      const headers: Record<string, string> = { ...err.headers };
      if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="floorwatch"';
      if (err.status === 413) headers['connection'] = 'close';
      return send(res, { status: err.status, body: { error: err.message }, headers });
    }
    if (err instanceof IncidentError) return send(res, { status: err.http, body: { error: err.message, code: err.code } });
    counters.failed.inc();
    send(res, { status: 500, body: { error: (err as Error).message } });
  }
}

function findRoute(method: string, path: string): { route: Route; params: string[] } {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route, path);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length > 0)
    throw new Refusal(405, `${method} is not served at ${path.slice(0, 100)} (${allowed.join(', ')})`, 'method', {
      allow: allowed.join(', '),
    });
  throw new Refusal(404, `no such endpoint ${path.slice(0, 100)}`, 'not_found');
}

/**
 * A bearer token must be right (a wrong one is 401 even where anonymous reads are allowed, so a
 * script with a stale token is told); a session cookie that no longer verifies is ignored.
 */
function identify(req: IncomingMessage, deps: ApiDeps): { who: Identity | undefined; renew?: string } {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer ([^\s]{1,200})$/.exec(auth);
    const who = m ? deps.access.byToken(m[1]!) : undefined;
    if (!who) throw new Refusal(401, m ? 'the token is not known to this brain' : 'Authorization must be "Bearer <token>"', 'auth');
    return { who };
  }
  const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
  const session = cookie ? deps.access.bySession(cookie) : undefined;
  if (session) return session.renew ? { who: session.identity, renew: session.renew } : { who: session.identity };
  return { who: deps.access.anonymousRead ? ANONYMOUS : undefined };
}

function authorise(route: Route, who: Identity | undefined): void {
  if (route.action === 'public') return;
  if (!who) throw new Refusal(401, 'sign in (wall board) or send "Authorization: Bearer <token>"', 'auth');
  if (who.via === 'anonymous' && route.action !== 'read') throw new Refusal(401, `${route.action} needs a signed-in user`, 'auth');
  if (!may(who.role, route.action)) throw new Refusal(403, `${who.name} (${who.role}) may not ${route.action}`, 'forbidden');
}

function send(res: ServerResponse, reply: RouteReply): void {
  if (res.headersSent) return void res.end();
  const json = reply.type === undefined;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.appendHeader(k, v);
  res.statusCode = reply.status ?? 200;
  res.setHeader('content-type', json ? 'application/json; charset=utf-8' : reply.type!);
  res.end(json ? JSON.stringify(reply.body) : (reply.body as string | Buffer));
}
