/**
 * Ships queued batches to the brain over one gRPC stream, at least once and in order.
 *
 * Connects to the brain addresses in order (primary, then secondary...), with exponential
 * backoff and full jitter between attempts. After the brain's Welcome (which says the highest
 * seq it has stored for this agent) it declares the series and replays the queue from there,
 * keeping at most `window` unacknowledged batches in flight. Completeness comes from seqs and
 * acks, never from the transport: a stream cut short may still end with status OK.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import { GrpcStatus } from '../../lib/grpc-status.js';
import type { Logger } from '../../lib/log.js';
import { INGEST_STREAM_PATH, PROTOCOL_VERSION, decodeBrainMessage, encodeAgentMessage, type BrainMessage, type IHello, type OutgoingAgentMessage } from '../../proto/wire.js';
import type { DiskQueue } from '../queue/disk-queue.js';
import type { SeriesRegistry } from '../series-registry.js';
import { Backoff } from './backoff.js';
import { GrpcStreamCall, describeStatus, type CallStatus, type GrpcTls } from './grpc-stream-client.js';

export interface ShipperOptions {
  clock: Clock;
  log: Logger;
  queue: DiskQueue;
  series: SeriesRegistry;
  addresses: string[];
  /** Absent: plaintext (main.ts allows that on loopback only). */
  tls?: GrpcTls;
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
  readonly #backoff: Backoff;
  #call: GrpcStreamCall | undefined;
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
    call?.cancel();
  }

  #connect(): void {
    if (this.#stopped) return;
    const address = this.#o.addresses[this.#addressIndex % this.#o.addresses.length]!;
    this.#state = 'connecting';
    const call: GrpcStreamCall = new GrpcStreamCall(
      {
        clock: this.#o.clock,
        address,
        path: INGEST_STREAM_PATH,
        maxReceiveBytes: this.#o.maxMessageBytes ?? 16 * 1024 * 1024,
        ...(this.#o.tls ? { tls: this.#o.tls } : {}),
      },
      {
        message: (bytes) => this.#onBytes(call, address, bytes),
        closed: (status) => this.#onDown(call, address, reasonOf(status)),
        drain: () => {
          this.#blocked = false;
          this.#pump();
        },
      },
    );
    this.#call = call;
    this.#write({ hello: { ...this.#o.hello, protocolVersion: PROTOCOL_VERSION } });
    this.#welcomeTimer = this.#o.clock.setTimeout(
      () => this.#onDown(call, address, 'no welcome from the brain in time'),
      this.#o.welcomeTimeoutMs ?? 5000,
    );
  }

  #onBytes(call: GrpcStreamCall, address: string, bytes: Buffer): void {
    let msg: BrainMessage;
    try {
      msg = decodeBrainMessage(bytes);
    } catch (err) {
      this.#onDown(call, address, `INTERNAL: undecodable message from the brain: ${(err as Error).message}`);
      return;
    }
    this.#onMessage(call, address, msg);
  }

  #onMessage(call: GrpcStreamCall, address: string, msg: BrainMessage): void {
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

  #onDown(call: GrpcStreamCall, address: string, reason: string): void {
    if (call !== this.#call) return;
    this.#call = undefined;
    this.#welcomeTimer?.cancel();
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
    return this.#call?.write(encodeAgentMessage(msg)) ?? false;
  }
}

function reasonOf(status: CallStatus): string {
  return status.code === GrpcStatus.OK ? 'stream ended by the brain' : describeStatus(status);
}
