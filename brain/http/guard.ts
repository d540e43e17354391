/**
 * What every request to the brain's HTTP side goes through before a route sees it (review S1,
 * S7, S8): security headers on every answer, a Host the brain answers to (DNS rebinding), and for
 * anything that changes state, a same-origin request with a JSON body of bounded size (a form or
 * a `text/plain` fetch from another site's page is refused before it is read).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The wall board is plain files from this origin, with no inline script or style; nothing may
 * frame it (clickjacking an acknowledge button), and no answer is sniffed into another type.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function setSecurityHeaders(res: ServerResponse, tls: boolean): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (tls) res.setHeader('strict-transport-security', 'max-age=31536000');
}

/** A request answered with a 4xx: the status, the reason the client reads, a short reason for /metrics. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The request target as a URL with the path as sent (`//x` stays a path, not a host); only the
 * origin form (`/path?query`) is served, as a server that is not a proxy should.
 */
export function requestTarget(raw: string | undefined): URL {
  if (!raw || !raw.startsWith('/')) throw new Refusal(400, 'the request target must be a path', 'bad_target');
  const url = new URL(`http://brain${raw}`);
  if (url.host !== 'brain') throw new Refusal(400, 'the request target must be a path', 'bad_target');
  return url;
}

/** The host part of a Host header, lower case, without port or IPv6 brackets. */
function hostName(header: string): string {
  const m = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return (m?.[1] ?? '').toLowerCase();
}

/**
 * An IP address, `localhost`, or a configured name: a page on a rebound attacker's name sends
 * that name as Host and is refused (421), even where anonymous reads are allowed.
 */
export function checkHost(header: string | undefined, names: ReadonlySet<string>): void {
  if (header === undefined) return; // HTTP/1.0 without Host: no browser sends that
  const name = hostName(header);
  if (name && (isIP(name) !== 0 || name === 'localhost' || names.has(name))) return;
  throw new Refusal(421, `Host ${JSON.stringify(header.slice(0, 100))} is not a name of this brain (list it in access.hosts)`, 'host');
}

/**
 * A state-changing request must come from this origin: no cross-site fetch metadata, an Origin
 * (when sent) that is this brain's own or a listed one, and a JSON content type, which a plain
 * HTML form cannot send and a cross-site fetch cannot send without a preflight this brain never
 * grants. A request carrying the session cookie must name its Origin (browsers always do).
 */
export function checkSameOrigin(req: IncomingMessage, tls: boolean, origins: ReadonlySet<string>, viaCookie: boolean): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new Refusal(403, `cross-site request refused (Sec-Fetch-Site: ${site})`, 'origin');
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`.toLowerCase();
    if (origin.toLowerCase() !== own && !origins.has(origin.toLowerCase()))
      throw new Refusal(403, `Origin ${JSON.stringify(origin.slice(0, 100))} may not change anything here`, 'origin');
  } else if (viaCookie) {
    throw new Refusal(403, 'a request with the session cookie must carry an Origin header', 'origin');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new Refusal(
      415,
      `a request that changes state must be Content-Type: application/json (got ${JSON.stringify(type.slice(0, 60) || 'none')})`,
      'content_type',
    );
}

/** The JSON object in the body ({} when empty); 413 past MAX_BODY_BYTES, 400 for anything not a JSON object. */
export function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        chunks.length = 0;
        return reject(tooLarge());
      }
      chunks.push(c);
    });
    req.on('error', (err) => {
      if (!failed) reject(new Refusal(400, `request body: ${err.message}`, 'bad_body'));
      failed = true;
    });
    // A client gone before the end of its body: nobody will read the answer, but the promise ends.
    req.on('close', () => {
      if (!req.complete && !failed) reject(new Refusal(400, 'the client closed before the end of the body', 'bad_body'));
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      failed = true; // settled: a later 'close' is the normal end of the request
      if (size === 0) return resolve({});
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return reject(new Refusal(400, `body is not JSON: ${(err as Error).message.slice(0, 200)}`, 'bad_body'));
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return reject(new Refusal(400, 'body must be a JSON object', 'bad_body'));
      resolve(parsed as Record<string, unknown>);
    });
  });
}

function tooLarge(): Refusal {
  return new Refusal(413, `request body larger than ${MAX_BODY_BYTES / 1024} KiB`, 'too_large');
}
