/** Sends a component's health heartbeat every interval, and at once when its role or state changes. */
import type { Clock, Timer } from '../../lib/clock.js';
import { processStartTicks } from '../../lib/process-identity.js';
import type { DatagramOut, Endpoint } from '../net/udp.js';
import { hostMonoUs } from '../time.js';
import { encodeHealth } from './codec.js';
import type { HealthHeartbeat } from './types.js';

export type HealthBody = Omit<HealthHeartbeat, 'v' | 'hb_seq' | 'interval_ms' | 'pid' | 'start_ticks' | 'time_us' | 'mono_us'>;

/** This process's start time, read once: the brain matches it to its wrapper's report (lib/process-identity.ts). */
const OWN_START_TICKS = processStartTicks('self');

export class HealthPublisher {
  #timer: Timer | null = null;
  #seq = 0;
  #lastRole = '';
  #lastState = '';
  #tickAt = 0;
  #stallMs = 0;
  sent = 0;

  constructor(
    private readonly out: DatagramOut,
    private readonly targets: Endpoint[],
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly body: () => HealthBody,
  ) {}

  start(): void {
    this.#tickAt = this.clock.monotonic();
    this.#timer = this.clock.setInterval(() => this.#tick(), this.intervalMs);
    this.publish();
  }

  /**
   * The timer's lateness is the component's own event-loop stall: a heartbeat that arrives
   * 800 ms late says `loop_stall_ms: 700`, so the brain can tell a process that was alive but
   * descheduled (or busy) from one that died (docs/heartbeat-protocol.md).
   */
  #tick(): void {
    const now = this.clock.monotonic();
    this.#stallMs = Math.max(0, Math.round(now - this.#tickAt - this.intervalMs));
    this.#tickAt = now;
    this.publish();
  }

  stop(): void {
    this.#timer?.cancel();
  }

  /** Publishes now if role or state moved since the last heartbeat: fail-overs are seen at once. */
  publishIfChanged(): void {
    const b = this.body();
    if (b.role !== this.#lastRole || b.state !== this.#lastState) this.#send(b);
  }

  publish(): void {
    this.#send(this.body());
  }

  #send(b: HealthBody): void {
    this.#lastRole = b.role;
    this.#lastState = b.state;
    const hb: HealthHeartbeat = {
      v: 1,
      ...b,
      counters: { ...b.counters, loop_stall_ms: this.#stallMs },
      hb_seq: ++this.#seq,
      interval_ms: this.intervalMs,
      pid: process.pid,
      start_ticks: OWN_START_TICKS ?? null,
      time_us: this.clock.nowUs(),
      mono_us: hostMonoUs(),
    };
    const buf = encodeHealth(hb);
    for (const t of this.targets) this.out.send(buf, t);
    this.sent++;
  }
}
