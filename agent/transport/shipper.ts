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
import {
  INGEST_STREAM_PATH,
  PROTOCOL_VERSION,
  decodeBrainMessage,
  encodeAgentMessage,
  type BrainMessage,
  type IEvent,
  type IHello,
  type IHostInventory,
  type OutgoingAgentMessage,
} from '../../proto/wire.js';
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
  /** Sealed batches not yet in the queue (held while its disk is full): not drained while any. */
  held?: () => number;
  /**
   * No brain of `addresses` reachable this long (both legs of a pair down): the agent says so
   * locally, once, at error level — the brains cannot page it (default 15 s).
   */
  unreachableAlarmMs?: number;
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
  #inventory: IHostInventory | undefined;
  #status: IEvent[] = [];
  connectedTo: string | undefined;
  reconnects = 0;
  /** Since when no brain has been reachable (monotonic ms; undefined while streaming). */
  #unreachableSince: number | undefined;
  #unreachableTold = false;

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

  /** The host inventory (collected once, at start): sent now if streaming, and after every later Welcome. */
  setInventory(inventory: IHostInventory): void {
    this.#inventory = inventory;
    if (this.#state === 'streaming') this.#write({ inventory });
  }

  /**
   * The agent's own condition that cannot go through the queue (its state disk full, then ok):
   * sent now if streaming, and after every later Welcome (AgentStatus in the .proto).
   */
  setStatus(events: IEvent[]): void {
    this.#status = events;
    if (this.#state === 'streaming') this.#write({ status: { events } });
  }

  /** A batch was sealed: send it now if the window allows. */
  notify(): void {
    if (this.#state === 'streaming') this.#pump();
  }

  /** Everything queued so far has been acknowledged. */
  drained(): boolean {
    return this.#o.queue.stats().pendingBatches === 0 && (this.#o.held?.() ?? 0) === 0;
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
      if (this.#unreachableTold) {
        const downS = Math.round((this.#o.clock.monotonic() - this.#unreachableSince!) / 1000);
        this.#o.log.warn({ brain: address, down_s: downS }, `a brain is reachable again after ${downS} s`);
      }
      this.#unreachableSince = undefined;
      this.#unreachableTold = false;
      this.#lastError = '';
      if (this.#inventory) this.#write({ inventory: this.#inventory });
      if (this.#status.length > 0) this.#write({ status: { events: this.#status } });
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
      const error = this.#o.onConfig?.(version, msg.config.yaml ?? '') ?? '';
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
    this.#checkUnreachable();
    this.#lastError = reason;
    this.#addressIndex++;
    this.#retryTimer = this.#o.clock.setTimeout(() => this.#connect(), this.#backoff.next());
  }

  /** Every brain unreachable for unreachableAlarmMs: the monitor itself may be down, and nobody will be paged. */
  #checkUnreachable(): void {
    const now = this.#o.clock.monotonic();
    this.#unreachableSince ??= now;
    if (this.#unreachableTold || now - this.#unreachableSince < (this.#o.unreachableAlarmMs ?? 15_000)) return;
    this.#unreachableTold = true;
    this.#o.log.error(
      {
        brains: this.#o.addresses,
        down_s: Math.round((now - this.#unreachableSince) / 1000),
        queued_batches: this.#o.queue.stats().pendingBatches,
      },
      'no brain reachable: the monitor may be down and cannot page; samples wait in the queue',
    );
  }

  /** Milliseconds since no brain has been reachable (0 while one is). */
  unreachableForMs(): number {
    return this.#unreachableSince === undefined ? 0 : this.#o.clock.monotonic() - this.#unreachableSince;
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
