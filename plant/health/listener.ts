/**
 * Receives plant health heartbeats on a UDP port: validates each (malformed ones are counted
 * and dropped), remembers the latest per component, and tells when one goes silent for longer
 * than its missed-heartbeat budget ("the paper's fail-over logic counts heartbeats; so should
 * the brain"). Reusable by the brain and by the host agent.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:dgram';
import { systemClock, type Clock, type Timer } from '../../lib/clock.js';
import { bindUdp, LOOPBACK } from '../net/udp.js';
import { decodeHealth } from './codec.js';
import type { HealthHeartbeat, HealthRole } from './types.js';

const SWEEP_EVERY_MS = 10;

export interface HealthListenerOptions {
  port: number;
  host?: string;
  clock?: Clock;
  /** A component is lost after this many of its own intervals without a heartbeat (default 3). */
  missedHeartbeats?: number;
}

export interface ComponentView {
  heartbeat: HealthHeartbeat;
  lastSeenMs: number;
  lost: boolean;
  /** Heartbeats the component sent that never arrived (from its hb_seq). */
  missedDatagrams: number;
}

export interface HealthListenerEvents {
  heartbeat: [hb: HealthHeartbeat, from: string];
  malformed: [error: string, from: string];
  lost: [component: string, last: HealthHeartbeat];
  recovered: [component: string, hb: HealthHeartbeat];
  role_change: [component: string, from: HealthRole, to: HealthRole, hb: HealthHeartbeat];
}

export class HealthListener extends EventEmitter<HealthListenerEvents> {
  readonly counters = { received: 0, malformed: 0 };
  readonly #components = new Map<string, ComponentView>();
  readonly #clock: Clock;
  readonly #missed: number;
  #socket: Socket | null = null;
  #sweep: Timer | null = null;
  /** When the previous sweep ran (monotonic ms): the socket has been read since. */
  #lastSweepAt: number | undefined;

  constructor(private readonly opts: HealthListenerOptions) {
    super();
    this.#clock = opts.clock ?? systemClock;
    this.#missed = opts.missedHeartbeats ?? 3;
  }

  /** Binds the port; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const socket = await bindUdp(this.opts.port, this.opts.host ?? LOOPBACK, 1024 * 1024);
    socket.on('message', (buf, rinfo) => this.ingest(buf, `${rinfo.address}:${rinfo.port}`));
    socket.on('error', () => this.counters.malformed++);
    this.#socket = socket;
    this.#sweep = this.#clock.setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    return socket.address().port;
  }

  async stop(): Promise<void> {
    this.#sweep?.cancel();
    const s = this.#socket;
    this.#socket = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  components(): ReadonlyMap<string, ComponentView> {
    return this.#components;
  }

  get(component: string): ComponentView | undefined {
    return this.#components.get(component);
  }

  /** Feeds one datagram in (the socket does this; tests and agents relaying datagrams may too). */
  ingest(buf: Buffer, from: string): void {
    const decoded = decodeHealth(buf);
    if (!decoded.ok) {
      this.counters.malformed++;
      this.emit('malformed', decoded.error, from);
      return;
    }
    this.counters.received++;
    const hb = decoded.heartbeat;
    const prev = this.#components.get(hb.component);
    const view: ComponentView = {
      heartbeat: hb,
      lastSeenMs: this.#clock.monotonic(),
      lost: false,
      missedDatagrams:
        (prev?.missedDatagrams ?? 0) + (prev && hb.hb_seq > prev.heartbeat.hb_seq + 1 ? hb.hb_seq - prev.heartbeat.hb_seq - 1 : 0),
    };
    this.#components.set(hb.component, view);
    this.emit('heartbeat', hb, from);
    if (prev?.lost) this.emit('recovered', hb.component, hb);
    if (prev && prev.heartbeat.role !== hb.role) this.emit('role_change', hb.component, prev.heartbeat.role, hb.role, hb);
  }

  /**
   * Marks components whose heartbeats stopped; runs on a 10 ms timer. A sweep that runs late
   * (the event loop stalled) runs before the socket is read: heartbeats that arrived during the
   * stall are still queued, and judging silence up to now would lose components that are fine.
   * So a late sweep judges silence only up to the previous sweep, when every heartbeat that had
   * arrived had been read; the next, timely sweep judges up to its own time.
   */
  sweep(): void {
    const now = this.#clock.monotonic();
    const lagMs = this.#lastSweepAt === undefined ? 0 : now - this.#lastSweepAt - SWEEP_EVERY_MS;
    const judgedAt = lagMs > SWEEP_EVERY_MS ? this.#lastSweepAt! : now;
    this.#lastSweepAt = now;
    for (const [id, view] of this.#components) {
      if (view.lost || view.heartbeat.state === 'down') continue;
      if (judgedAt - view.lastSeenMs > view.heartbeat.interval_ms * this.#missed) {
        view.lost = true;
        this.emit('lost', id, view.heartbeat);
      }
    }
  }
}
