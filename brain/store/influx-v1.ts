/**
 * InfluxDB 1.x sink: POST /write?db=..&rp=..&precision=u. The write path is plain keep-alive HTTP;
 * node-influx only sets up the database (and its retention policies and continuous queries when
 * `retention` is given: retention.ts), once, and again after a write says it is missing.
 */
import { InfluxDB } from 'influx';
import { systemClock, type Clock } from '../../lib/clock.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { KeepAliveClient } from './http-post.js';
import type { Sink, WriteResult } from './sink.js';
import { resultFromNetworkError, resultFromStatus } from './write-result.js';
import { ensureRetention, type InfluxqlRunner, type RetentionConfig } from './retention.js';

export interface InfluxV1Options {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** Whole-request deadline; default 10 s. */
  timeoutMs?: number;
  /** Gzip request bodies: worth it over a WAN, a loss on localhost. Default off. */
  gzip?: boolean;
  /** CREATE DATABASE before the first write; default on. */
  createDatabase?: boolean;
  /** Retention policies and downsampling to set up with the database; writes go to its raw policy. */
  retention?: RetentionConfig;
  maxSockets?: number;
  clock?: Clock;
  logger?: Logger;
}

const PING_TIMEOUT_MS = 5000;

export class InfluxV1Sink implements Sink {
  readonly name: string;
  readonly #http: KeepAliveClient;
  readonly #pingHttp: KeepAliveClient;
  readonly #writePath: string;
  readonly #headers: Record<string, string>;
  readonly #database: DatabaseCreator | undefined;

  constructor(private readonly opts: InfluxV1Options) {
    const base = new URL(opts.url);
    const clock = opts.clock ?? systemClock;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    this.name = `influx-v1 ${base.origin} db=${opts.database}${opts.retentionPolicy ? ` rp=${opts.retentionPolicy}` : ''}`;
    this.#http = new KeepAliveClient(base, { timeoutMs, clock, ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}) });
    this.#pingHttp = new KeepAliveClient(base, { timeoutMs: Math.min(timeoutMs, PING_TIMEOUT_MS), clock, maxSockets: 1 });
    const query = new URLSearchParams({ db: opts.database, precision: 'u' });
    const rp = opts.retentionPolicy ?? opts.retention?.raw.name;
    if (rp) query.set('rp', rp);
    this.#writePath = `${base.pathname.replace(/\/$/, '')}/write?${query}`;
    this.#headers = { 'content-type': 'text/plain; charset=utf-8' };
    if (opts.username !== undefined) {
      const credentials = Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64');
      this.#headers['authorization'] = `Basic ${credentials}`;
    }
    const logger = (opts.logger ?? silentLogger).child({ component: 'store', sink: this.name });
    this.#database = opts.createDatabase === false ? undefined : new DatabaseCreator(base, opts, timeoutMs, logger);
  }

  async write(body: string, _lineCount: number): Promise<WriteResult> {
    await this.#database?.ensure();
    let result: WriteResult;
    try {
      const reply = await this.#http.request('POST', this.#writePath, this.#headers, body, this.opts.gzip);
      result = resultFromStatus(reply.status, reply.body, this.name);
    } catch (err) {
      return resultFromNetworkError(err, this.name);
    }
    if (result.ok) this.#database?.confirm();
    else if (/database not found|retention policy not found/i.test(result.error)) this.#database?.forget();
    return result;
  }

  async ping(): Promise<boolean> {
    try {
      const path = `${new URL(this.opts.url).pathname.replace(/\/$/, '')}/ping`;
      const reply = await this.#pingHttp.request('GET', path, this.#headers);
      return reply.status === 204 || reply.status === 200;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#http.close();
    this.#pingHttp.close();
  }
}

/**
 * Creates the database (and its retention) until that succeeds (or a write proves it exists). A
 * failure is logged and the write is attempted anyway: a user without admin rights may still
 * write to an existing database, and the write's own answer is the one that counts.
 */
class DatabaseCreator {
  #ready = false;
  #inFlight: Promise<void> | undefined;
  #lastError = '';
  readonly #client: InfluxDB;

  constructor(
    base: URL,
    private readonly opts: InfluxV1Options,
    timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.#client = new InfluxDB({
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      pool: { maxRetries: 0, requestTimeout: timeoutMs },
    });
  }

  ensure(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    this.#inFlight ??= this.#create().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  confirm(): void {
    this.#ready = true;
  }

  forget(): void {
    this.#ready = false;
  }

  readonly #run: InfluxqlRunner = async (statement) => {
    const raw = (await this.#client.queryRaw(statement, { database: this.opts.database, method: 'POST' })) as {
      results?: { error?: string; series?: { name?: string; columns: string[]; values?: unknown[][] }[] }[];
    };
    const result = raw.results?.[0];
    if (result?.error) throw new Error(`${statement}: ${result.error}`);
    return (result?.series ?? []).map((s) => ({ ...s, values: s.values ?? [] }));
  };

  async #create(): Promise<void> {
    try {
      const { database, retention } = this.opts;
      if (retention) {
        const executed = await ensureRetention(this.#run, database, retention);
        this.logger.info(
          { database, executed },
          executed.length ? 'database and retention set up' : 'database and retention as configured already',
        );
      } else {
        await this.#client.createDatabase(database);
        this.logger.info({ database }, 'database ensured');
      }
      this.#ready = true;
      this.#lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.#lastError) this.logger.warn({ database: this.opts.database, err: message }, 'cannot create database');
      this.#lastError = message;
    }
  }
}
