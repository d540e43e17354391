/**
 * The agent's accumulator: samplers emit into it, and it seals batches into the disk queue.
 *
 * A batch is sealed every flushMs, when it reaches maxSamples, or a few ms after an event is
 * emitted: events (link down, bond fail-over, process exit) must reach the brain within 250 ms,
 * so they never wait for the next periodic flush.
 */
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { encodeBatch, type IEvent } from '../proto/wire.js';
import type { DiskQueue } from './queue/disk-queue.js';
import type { Emit, EventInput, Tags } from './sampler.js';
import type { SeriesRegistry, SeriesKind } from './series-registry.js';

const MAX_ATTR_CHARS = 1024;

export interface BatcherOptions {
  clock: Clock;
  log: Logger;
  queue: DiskQueue;
  series: SeriesRegistry;
  flushMs: number;
  maxSamples: number;
  /** Delay between an event and the flush that carries it, to coalesce a burst. */
  eventFlushMs?: number;
  /** Called after every sealed batch (the shipper sends it). */
  onSealed: () => void;
}

export class Batcher {
  readonly #o: BatcherOptions;
  #series: number[] = [];
  #values: number[] = [];
  #times: number[] = [];
  #events: IEvent[] = [];
  /** Callbacks waiting for what was emitted before them to be in the disk queue. */
  #afterSeal: (() => void)[] = [];
  #eventTimer: Timer | undefined;
  #flushTimer: Timer | undefined;
  readonly errors = new Map<string, number>();
  nonFinite = 0;

  constructor(opts: BatcherOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#flushTimer = this.#o.clock.setInterval(() => this.flush(), this.#o.flushMs);
  }

  stop(): void {
    this.#flushTimer?.cancel();
    this.#eventTimer?.cancel();
    this.flush();
  }

  /** An Emit bound to one sampler, so errors are attributed to it. */
  emitFor(sampler: string): Emit {
    return {
      gauge: (m, f, v, tags, t) => this.#sample(m, f, v, tags, t, 0),
      counter: (m, f, v, tags, t) => this.#sample(m, f, v, tags, t, 1),
      event: (kind, input) => this.#event(kind, input),
      error: (err) => this.#error(sampler, err),
      whenDurable: (fn) => this.#afterSeal.push(fn),
    };
  }

  flush(): void {
    this.#seal();
  }

  #seal(): void {
    const samples = this.#series.length;
    if (samples === 0 && this.#events.length === 0) return this.#durable();
    const q = this.#o.queue;
    const { seq, cumulativeSamples } = q.reserve(samples);
    const payload = encodeBatch({
      seq,
      series: this.#series,
      values: this.#values,
      timeUs: this.#times,
      events: this.#events,
      cumulativeSamples,
      droppedBatches: q.droppedBatches,
      droppedSamples: q.droppedSamples,
    });
    // Fresh arrays: the encoded batch is already bytes, but never reuse what was handed out.
    this.#series = [];
    this.#values = [];
    this.#times = [];
    this.#events = [];
    q.append(seq, cumulativeSamples, samples, payload);
    // Recorded before the shipper spends time sending: a SIGKILL in between would leave the
    // batch queued but the log offsets behind it, and its lines read and sent twice.
    this.#durable();
    this.#o.onSealed();
  }

  /** Everything emitted so far is in the disk queue: the whenDurable callbacks run. */
  #durable(): void {
    const waiting = this.#afterSeal;
    this.#afterSeal = [];
    for (const fn of waiting) {
      try {
        fn();
      } catch (err) {
        this.#o.log.error({ err: (err as Error).message }, 'after-seal callback failed');
      }
    }
  }

  #sample(measurement: string, field: string, value: number, tags: Tags | undefined, timeUs: number | undefined, kind: SeriesKind): void {
    if (!Number.isFinite(value)) {
      this.nonFinite++;
      return;
    }
    const id = this.#o.series.idOf(measurement, field, tags, kind);
    if (id === undefined) return;
    this.#series.push(id);
    this.#values.push(value);
    this.#times.push(timeUs ?? this.#o.clock.nowUs());
    if (this.#series.length >= this.#o.maxSamples) this.flush();
  }

  #event(kind: string, input: EventInput = {}): void {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.attrs ?? {})) attrs[k] = v.length > MAX_ATTR_CHARS ? v.slice(0, MAX_ATTR_CHARS) : v;
    this.#events.push({
      timeUs: input.timeUs ?? this.#o.clock.nowUs(),
      kind,
      tags: input.tags ?? {},
      attrs,
      values: input.values ?? {},
      severity: input.severity ?? 0,
    });
    this.#eventTimer ??= this.#o.clock.setTimeout(() => {
      this.#eventTimer = undefined;
      this.flush();
    }, this.#o.eventFlushMs ?? 2);
  }

  #error(sampler: string, err: Error): void {
    const key = `${sampler}: ${err.message}`;
    const seen = this.errors.get(key) ?? 0;
    this.errors.set(key, seen + 1);
    // Log a problem when it first appears, not on every tick (Telegraf's logging rule).
    if (seen === 0) this.#o.log.warn({ sampler, err: err.message }, 'sampler error');
    if (this.errors.size > 1000) this.errors.clear();
  }
}
