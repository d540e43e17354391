/**
 * InfluxDB 2.x/3.x sink (also VictoriaMetrics): POST /api/v2/write?org&bucket&precision=us with
 * `Authorization: Token ...`, through @influxdata/influxdb-client's transport. Only the transport:
 * its WriteApi buffers and retries on its own, which is the spool forwarder's job here.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Sink, WriteResult } from './sink.js';
import { resultFromNetworkError, resultFromStatus } from './write-result.js';

export interface InfluxV2Options {
  /** Server root, e.g. http://127.0.0.1:8086 (without /api/v2). */
  url: string;
  org: string;
  bucket: string;
  token?: string;
  /** Whole-request deadline; default 10 s. */
  timeoutMs?: number;
  gzip?: boolean;
  maxSockets?: number;
  clock?: Clock;
}

const PING_TIMEOUT_MS = 5000;
const GZIP_ABOVE_BYTES = 1024;

export class InfluxV2Sink implements Sink {
  readonly name: string;
  readonly #agent: http.Agent;
  readonly #transport: Transport;
  readonly #writePath: string;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  constructor(private readonly opts: InfluxV2Options) {
    const base = new URL(opts.url);
    this.name = `influx-v2 ${base.origin} org=${opts.org} bucket=${opts.bucket}`;
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 8 };
    this.#agent = base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const client = new InfluxDB({
      url: opts.url.replace(/\/$/, ''),
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      // The transport's own timeout only reports an idle socket; the deadline below aborts.
      timeout: this.#timeoutMs,
      transportOptions: { agent: this.#agent },
    });
    this.#transport = client.transport;
    const query = new URLSearchParams({ org: opts.org, bucket: opts.bucket, precision: 'us' });
    this.#writePath = `/api/v2/write?${query}`;
  }

  async write(body: string, _lineCount: number): Promise<WriteResult> {
    try {
      await this.#request(this.#writePath, body, 'POST', this.#timeoutMs);
      return { ok: true };
    } catch (err) {
      if (err instanceof HttpError) return resultFromStatus(err.statusCode, err.body ?? err.message, `${this.name} /api/v2/write`);
      return resultFromNetworkError(err, this.name);
    }
  }

  /** GET /ping (InfluxDB 2.x/3.x), or /health where /ping does not exist (VictoriaMetrics). */
  async ping(): Promise<boolean> {
    const timeoutMs = Math.min(this.#timeoutMs, PING_TIMEOUT_MS);
    for (const path of ['/ping', '/health']) {
      try {
        await this.#request(path, '', 'GET', timeoutMs);
        return true;
      } catch (err) {
        if (!(err instanceof HttpError && err.statusCode === 404)) return false;
      }
    }
    return false;
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  async #request(path: string, body: string, method: 'GET' | 'POST', timeoutMs: number): Promise<unknown> {
    const abort = new AbortController();
    const deadline = this.#clock.setTimeout(() => abort.abort(), timeoutMs);
    try {
      return await this.#transport.request(path, body, {
        method,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: abort.signal,
        ...(this.opts.gzip ? { gzipThreshold: GZIP_ABOVE_BYTES } : {}),
      });
    } catch (err) {
      throw abort.signal.aborted && !(err instanceof HttpError)
        ? Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })
        : err;
    } finally {
      deadline.cancel();
    }
  }
}
