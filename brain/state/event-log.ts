/**
 * Recent events (from agents and from the brain itself), bounded, with subscribers: the rules
 * and correlation stages subscribe here, the API shows the tail.
 */
import type { Clock } from '../../lib/clock.js';

export interface BrainEvent {
  /** Brain-assigned, increasing. */
  id: number;
  timeUs: number;
  /** Receipt time at the brain (µs), for detection-latency accounting. */
  receivedUs: number;
  kind: string;
  source: 'agent' | 'brain';
  agentId: string;
  tags: Record<string, string>;
  attrs: Record<string, string>;
  values: Record<string, number>;
  severity: number;
}

export type EventListener = (e: BrainEvent) => void;

export class EventLog {
  readonly #ring: BrainEvent[] = [];
  readonly #capacity: number;
  readonly #listeners = new Set<EventListener>();
  readonly #burstEnds = new Set<() => void>();
  #burstDepth = 0;
  readonly #clock: Clock;
  #nextId = 1;
  total = 0;
  /** Events pushed out of the ring by newer ones (the API's tail no longer has them). */
  evicted = 0;
  /** Subscriber calls that threw (caught, so ingest and the other subscribers go on). */
  listenerErrors = 0;

  constructor(opts: { clock: Clock; capacity?: number }) {
    this.#clock = opts.clock;
    this.#capacity = opts.capacity ?? 10_000;
  }

  subscribe(fn: EventListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Publishes the events `fn` publishes as one burst (the liveness check's silent agents): a
   * subscriber may then hold its work until the burst ends (`onBurstEnd`), e.g. the correlator
   * attaches thousands of silent hosts to their colour's incident in one change.
   */
  burst<T>(fn: () => T): T {
    this.#burstDepth++;
    try {
      return fn();
    } finally {
      if (--this.#burstDepth === 0) {
        for (const end of this.#burstEnds) {
          try {
            end();
          } catch {
            this.listenerErrors++;
          }
        }
      }
    }
  }

  /** True inside `burst`. */
  get inBurst(): boolean {
    return this.#burstDepth > 0;
  }

  /** Called when a burst ends; returns the unsubscribe. */
  onBurstEnd(fn: () => void): () => void {
    this.#burstEnds.add(fn);
    return () => this.#burstEnds.delete(fn);
  }

  publish(e: Omit<BrainEvent, 'id' | 'receivedUs'>): BrainEvent {
    const event: BrainEvent = { ...e, id: this.#nextId++, receivedUs: this.#clock.nowUs() };
    this.#ring.push(event);
    if (this.#ring.length > this.#capacity) {
      this.#ring.shift();
      this.evicted++;
    }
    this.total++;
    for (const fn of this.#listeners) {
      try {
        fn(event);
      } catch {
        // a failing subscriber must not stop ingest or the other subscribers
        this.listenerErrors++;
      }
    }
    return event;
  }

  brainEvent(kind: string, tags: Record<string, string>, values: Record<string, number>, severity: number): BrainEvent {
    return this.publish({
      timeUs: this.#clock.nowUs(),
      kind,
      source: 'brain',
      agentId: tags['agent'] ?? '',
      tags,
      attrs: {},
      values,
      severity,
    });
  }

  /** Newest last; optionally only events after a given id. */
  recent(opts: { afterId?: number; limit?: number; kind?: string; agentId?: string } = {}): BrainEvent[] {
    const out = this.#ring.filter(
      (e) =>
        (opts.afterId === undefined || e.id > opts.afterId) &&
        (opts.kind === undefined || e.kind === opts.kind) &&
        (opts.agentId === undefined || e.agentId === opts.agentId),
    );
    return out.slice(-(opts.limit ?? 200));
  }
}
