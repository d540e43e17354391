/**
 * Ships queued batches to the brain over one gRPC stream, at least once and in order.
 *
 * Connects to the brain addresses in order (primary, then secondary...), with exponential
 * backoff and full jitter between attempts. After the brain's Welcome (which says the highest
 * seq it has stored for this agent) it declares the series and replays the queue from there,
 * keeping at most `window` unacknowledged batches in flight. Completeness comes from seqs and
 * acks, never from the transport: a grpc-js stream cut short still ends with status OK.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { IngestClient, PROTOCOL_VERSION, type BrainMessage, type IHello, type IngestClientStream, type OutgoingAgentMessage } from '../../proto/wire.js';
import type { DiskQueue } from '../queue/disk-queue.js';
import type { SeriesRegistry } from '../series-registry.js';
import { Backoff } from './backoff.js';

export interface ShipperOptions {
  clock: Clock;
  log: Logger;
  queue: DiskQueue;
  series: SeriesRegistry;
  addresses: string[];
  credentials: grpc.ChannelCredentials;
  /** For TLS: the name the brain's certificate is issued to, when dialling by IP. */
  serverName?: string;
  hello: IHello;
  window?: number;
  maxMessageBytes?: number;
  welcomeTimeoutMs?: number;
  heartbeatMs?: number;
  /** A config push from the brain; returns the error text when it is refused. */
  onConfig?: (version: number, yaml: string) => string | undefined;
}

type ConnState = 'idle' | 'connecting' | 'streaming';

export class Shipper {
  readonly #o: ShipperOptions;
  readonly #clients = new Map<string, IngestClient>();
  readonly #backoff: Backoff;
  #call: IngestClientStream | undefined;
  #state: ConnState = 'idle';
  #addressIndex = 0;
  #declared = 0;
  #sentSeq = 0;
  #ackedSeq = 0;
  #blocked = false;
  #stopped = false;
  #retryTimer: Timer | undefined;
  #welcomeTimer: Timer | undefined;
  #heartbeatTimer: Timer | undefined;
  #lastWrite = 0;
  #lastError = '';
  connectedTo: string | undefined;
  reconnects = 0;

  constructor(opts: ShipperOptions) {
    this.#o = opts;
    this.#backoff = new Backoff({ minMs: 100, maxMs: 5000 });
  }

  get ackedSeq(): number {
    return this.#ackedSeq;
  }
  get connected(): boolean {
    return this.#state === 'streaming';
  }

  start(): void {
    this.#heartbeatTimer = this.#o.clock.setInterval(() => this.#heartbeat(), this.#o.heartbeatMs ?? 1000);
    this.#connect();
  }

  /** A batch was sealed: send it now if the window allows. */
  notify(): void {
    if (this.#state === 'streaming') this.#pump();
  }

  /** Everything queued so far has been acknowledged. */
  drained(): boolean {
    return this.#o.queue.stats().pendingBatches === 0;
  }

  stop(): void {
    this.#stopped = true;
    this.#retryTimer?.cancel();
    this.#welcomeTimer?.cancel();
    this.#heartbeatTimer?.cancel();
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      call.end();
      call.cancel();
    }
    for (const c of this.#clients.values()) c.close();
  }

  #client(address: string): IngestClient {
    let c = this.#clients.get(address);
    if (!c) {
      const max = this.#o.maxMessageBytes ?? 16 * 1024 * 1024;
      const options: grpc.ClientOptions = {
        'grpc.max_send_message_length': max,
        'grpc.max_receive_message_length': max,
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 2000,
        // Each agent gets its own HTTP/2 connection (a shared one is ~30 % slower, feasibility §1).
        'grpc.use_local_subchannel_pool': 1,
      };
      if (this.#o.serverName) options['grpc.ssl_target_name_override'] = this.#o.serverName;
      c = new IngestClient(address, this.#o.credentials, options);
      this.#clients.set(address, c);
    }
    return c;
  }

  #connect(): void {
    if (this.#stopped) return;
    const address = this.#o.addresses[this.#addressIndex % this.#o.addresses.length]!;
    this.#state = 'connecting';
    const call = this.#client(address).stream();
    this.#call = call;
    call.on('data', (msg: BrainMessage) => this.#onMessage(call, address, msg));
    call.on('error', (err: grpc.ServiceError) => this.#onDown(call, address, `${grpc.status[err.code] ?? err.code}: ${err.details}`));
    call.on('end', () => this.#onDown(call, address, 'stream ended by the brain'));
    call.on('drain', () => {
      this.#blocked = false;
      this.#pump();
    });
    this.#write({ hello: { ...this.#o.hello, protocolVersion: PROTOCOL_VERSION } });
    this.#welcomeTimer = this.#o.clock.setTimeout(
      () => this.#onDown(call, address, 'no welcome from the brain in time'),
      this.#o.welcomeTimeoutMs ?? 5000,
    );
  }

  #onMessage(call: IngestClientStream, address: string, msg: BrainMessage): void {
    if (call !== this.#call) return;
    if (msg.welcome) {
      this.#welcomeTimer?.cancel();
      this.#state = 'streaming';
      this.connectedTo = address;
      this.#backoff.reset();
      this.#declared = 0;
      const acked = Number(msg.welcome.ackedSeq);
      this.#ackedSeq = acked;
      this.#sentSeq = acked;
      this.#o.queue.ack(acked);
      if (this.#lastError) this.#o.log.info({ brain: address, ackedSeq: acked }, 'connected to brain');
      this.#lastError = '';
      this.#pump();
    } else if (msg.ack) {
      const upto = Number(msg.ack.uptoSeq);
      if (upto > this.#ackedSeq) {
        this.#ackedSeq = upto;
        this.#o.queue.ack(upto);
      }
      this.#pump();
    } else if (msg.config) {
      const version = Number(msg.config.version);
      const error = this.#o.onConfig?.(version, msg.config.yaml ?? "") ?? '';
      this.#write({ configStatus: { version, applied: !error, error } });
    }
  }

  #onDown(call: IngestClientStream, address: string, reason: string): void {
    if (call !== this.#call) return;
    this.#call = undefined;
    this.#welcomeTimer?.cancel();
    call.removeAllListeners('data');
    call.on('error', () => {}); // late errors of an abandoned call must not crash the agent
    call.cancel();
    this.#state = 'idle';
    this.connectedTo = undefined;
    this.#blocked = false;
    if (this.#stopped) return;
    this.reconnects++;
    if (reason !== this.#lastError) this.#o.log.warn({ brain: address, reason }, 'brain stream down; reconnecting');
    this.#lastError = reason;
    this.#addressIndex++;
    this.#retryTimer = this.#o.clock.setTimeout(() => this.#connect(), this.#backoff.next());
  }

  #pump(): void {
    const call = this.#call;
    if (!call || this.#state !== 'streaming' || this.#blocked) return;
    const window = this.#o.window ?? 32;
    if (this.#sentSeq - this.#ackedSeq >= window) return;
    for (const batch of this.#o.queue.after(this.#sentSeq)) {
      if (this.#o.series.size > this.#declared) {
        this.#write({ series: { defs: this.#o.series.defsFrom(this.#declared) } });
        this.#declared = this.#o.series.size;
      }
      this.#sentSeq = batch.seq;
      if (!this.#write({ rawBatch: batch.payload })) {
        this.#blocked = true;
        return;
      }
      if (this.#sentSeq - this.#ackedSeq >= window) return;
    }
  }

  #heartbeat(): void {
    if (this.#state !== 'streaming' || this.#o.clock.monotonic() - this.#lastWrite < (this.#o.heartbeatMs ?? 1000)) return;
    this.#write({ heartbeat: { timeUs: this.#o.clock.nowUs() } });
  }

  #write(msg: OutgoingAgentMessage): boolean {
    this.#lastWrite = this.#o.clock.monotonic();
    return this.#call?.write(msg) ?? false;
  }
}
