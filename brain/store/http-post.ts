/**
 * A minimal HTTP client for the write path: keep-alive, one deadline per request, a bounded
 * response body. Plain node:http because the body is already line protocol and nothing else
 * needs doing to it.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Clock } from '../../lib/clock.js';

const gzip = promisify(gzipCallback);

/** Error texts are short; anything longer is cut, never buffered whole. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpReply {
  status: number;
  body: string;
}

export interface HttpPostOptions {
  timeoutMs: number;
  clock: Clock;
  maxSockets?: number;
}

export class KeepAliveClient {
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;

  constructor(
    readonly baseUrl: URL,
    private readonly opts: HttpPostOptions,
  ) {
    const https_ = baseUrl.protocol === 'https:';
    this.#transport = https_ ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 8, maxFreeSockets: opts.maxSockets ?? 8 };
    this.#agent = https_ ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** Rejects only on network errors and timeouts; any HTTP status resolves. */
  async request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
    gzipBody = false,
  ): Promise<HttpReply> {
    const payload = body === undefined ? undefined : gzipBody ? await gzip(body) : Buffer.from(body, 'utf8');
    const allHeaders = { ...headers, ...(gzipBody && payload ? { 'content-encoding': 'gzip' } : {}) };
    try {
      return await this.#send(method, path, allHeaders, payload);
    } catch (err) {
      // A pooled connection the server closed while idle (e.g. after a restart) fails before the
      // server saw the request; one fresh connection tells whether the server is really away.
      if ((err as StaleSocketError).staleSocket) return this.#send(method, path, allHeaders, payload);
      throw err;
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, headers: Record<string, string>, payload?: Buffer): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const req = this.#transport.request(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.baseUrl.hostname,
          port: this.baseUrl.port,
          method,
          path,
          agent: this.#agent,
          headers: payload ? { ...headers, 'content-length': String(payload.length) } : headers,
        },
        (res) => {
          collectBody(res).then((text) => {
            deadline.cancel();
            resolve({ status: res.statusCode ?? 0, body: text });
          }, fail);
        },
      );
      const deadline = this.opts.clock.setTimeout(
        () => req.destroy(Object.assign(new Error(`no answer within ${this.opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        this.opts.timeoutMs,
      );
      function fail(err: Error): void {
        deadline.cancel();
        const stale = req.reusedSocket && ['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '');
        reject(stale ? Object.assign(err, { staleSocket: true }) : err);
      }
      req.on('error', fail);
      req.end(payload);
    });
  }
}

interface StaleSocketError extends Error {
  staleSocket?: boolean;
}

function collectBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    res.on('data', (chunk: Buffer) => {
      if (kept >= MAX_RESPONSE_BYTES) return;
      const part = chunk.subarray(0, MAX_RESPONSE_BYTES - kept);
      chunks.push(part);
      kept += part.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
