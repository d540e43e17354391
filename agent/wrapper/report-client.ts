/**
 * A producer's end of the local reporting protocol. The producer must keep working when the
 * agent is down or slow: messages wait in a bounded queue (oldest dropped, drops counted), the
 * socket is reconnected with backoff, and on every connect the drop count is reported first.
 * Delivery is at most once: what the kernel accepted before a connection broke may be lost.
 */
import { connect, type Socket } from 'node:net';
import type { Clock, Timer } from '../../lib/clock.js';
import { encodeMessage, type LocalMessage } from '../local/protocol.js';
import { BoundedQueue } from './bounded-queue.js';

export interface ReportClientOptions {
  path: string;
  clock: Clock;
  maxQueue?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** The message that tells the agent how many messages were dropped so far (sent on connect). */
  dropReport?: (droppedTotal: number) => LocalMessage;
}

export class ReportClient {
  readonly #opts: Required<Omit<ReportClientOptions, 'dropReport'>> & Pick<ReportClientOptions, 'dropReport'>;
  readonly #queue: BoundedQueue<string>;
  #socket: Socket | undefined;
  #connected = false;
  #writable = false;
  #closing = false;
  #reconnectDelayMs: number;
  #reconnectTimer: Timer | undefined;
  #droppedReported = 0;
  #connects = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: ReportClientOptions) {
    this.#opts = { maxQueue: 10_000, reconnectMinMs: 100, reconnectMaxMs: 5_000, ...options };
    this.#queue = new BoundedQueue(this.#opts.maxQueue);
    this.#reconnectDelayMs = this.#opts.reconnectMinMs;
  }

  get dropped(): number {
    return this.#queue.dropped;
  }
  get queued(): number {
    return this.#queue.size;
  }
  get connected(): boolean {
    return this.#connected;
  }
  /** Successful connections so far. */
  get connects(): number {
    return this.#connects;
  }

  start(): void {
    this.#connect();
  }

  send(message: LocalMessage): void {
    this.#queue.push(encodeMessage(message));
    this.#flush();
  }

  /**
   * Stops reconnecting and gives queued messages up to `flushTimeoutMs` to leave, trying one
   * immediate connection if there is none (the agent may have just come back).
   */
  async close(flushTimeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#reconnectTimer?.cancel();
    if (!this.#socket) this.#connect();
    await new Promise<void>((resolve) => {
      const timer = this.#opts.clock.setTimeout(finish, flushTimeoutMs);
      function finish(): void {
        timer.cancel();
        resolve();
      }
      this.#whenIdle(finish);
    });
    this.#socket?.destroy();
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    const socket = connect(this.#opts.path);
    this.#socket = socket;
    socket.once('connect', () => {
      this.#connected = true;
      this.#writable = true;
      this.#connects++;
      this.#reconnectDelayMs = this.#opts.reconnectMinMs;
      this.#sendDropReport();
      this.#flush();
    });
    socket.on('drain', () => {
      this.#writable = true;
      this.#flush();
    });
    // The agent never writes to us; reading keeps the socket from stalling if it ever does.
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.#onClose());
  }

  #onClose(): void {
    this.#socket = undefined;
    this.#connected = false;
    this.#writable = false;
    if (this.#closing) {
      this.#notifyIdle();
      return;
    }
    this.#reconnectTimer = this.#opts.clock.setTimeout(() => this.#connect(), this.#reconnectDelayMs);
    this.#reconnectDelayMs = Math.min(this.#opts.reconnectMaxMs, this.#reconnectDelayMs * 2);
  }

  #sendDropReport(): void {
    const dropped = this.#queue.dropped;
    if (!this.#opts.dropReport || dropped === this.#droppedReported) return;
    this.#droppedReported = dropped;
    this.#writable = this.#socket!.write(encodeMessage(this.#opts.dropReport(dropped)));
  }

  #flush(): void {
    if (!this.#socket || !this.#writable) return;
    if (this.#queue.size > 0) this.#writable = this.#socket.write(this.#queue.drain().join(''));
    if (this.#writable) this.#notifyIdle();
  }

  #whenIdle(fn: () => void): void {
    this.#idleWaiters.push(fn);
    if (this.#connected && this.#writable && this.#queue.size === 0) this.#notifyIdle();
  }

  #notifyIdle(): void {
    const socket = this.#socket;
    const waiters = this.#idleWaiters;
    if (waiters.length === 0) return;
    this.#idleWaiters = [];
    // Everything handed to the socket is in the kernel once end() has flushed it.
    if (socket && this.#connected) socket.end(() => waiters.forEach((w) => w()));
    else if (this.#closing) waiters.forEach((w) => w());
    else this.#idleWaiters = waiters;
  }
}
