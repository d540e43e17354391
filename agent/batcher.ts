/**
 * The agent's accumulator: samplers emit into it, and it seals batches into the disk queue.
 *
 * A batch is sealed every flushMs, when it reaches maxSamples (at the end of an emit.unit()
 * when one is open), or a few ms after an event is emitted: events (link down, bond fail-over,
 * process exit) must reach the brain within 250 ms, so they never wait for the next periodic flush.
 */
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { encodeBatch, type IEvent } from '../proto/wire.js';
import type { Emit, EventInput, Tags } from './sampler.js';
import type { SeriesRegistry, SeriesKind } from './series-registry.js';

const MAX_ATTR_CHARS = 1024;
/** Samples the columns hold before their first growth; an idle agent's batches are smaller. */
const INITIAL_COLUMN_CAPACITY = 256;

/** What the batcher seals into: the DiskQueue, or the HoldingQueue in front of it (main.ts). */
export interface BatchQueue {
  /** The seq the next batch gets. */
  readonly nextSeq: number;
  /** Lost so far, as every batch tells the brain. */
  readonly droppedBatches: number;
  readonly droppedSamples: number;
  /** The seq and cumulative count for a batch of `samples`; undefined: no room, the batch is dropped (and counted there). */
  reserve(samples: number): { seq: number; cumulativeSamples: number } | undefined;
  append(seq: number, cumulativeSamples: number, samples: number, payload: Uint8Array): void;
}

export interface BatcherOptions {
  clock: Clock;
  log: Logger;
  queue: BatchQueue;
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
  /**
   * The open batch's sample columns, reused from seal to seal: `#count` entries are filled. Fresh
   * JS arrays per seal re-grew (and copied) three arrays up to maxSamples for every batch, ~6 % of
   * the agent's allocation when it reads a log backlog (issue #12). They grow by doubling up to
   * maxSamples, so an idle agent keeps only a few KB.
   */
  #series = new Uint32Array(INITIAL_COLUMN_CAPACITY);
  #values = new Float64Array(INITIAL_COLUMN_CAPACITY);
  #times = new Float64Array(INITIAL_COLUMN_CAPACITY);
  #count = 0;
  #events: IEvent[] = [];
  /** Callbacks saving a source position at the next seal, with the seq of the batch it goes with. */
  #atSeal: ((seq: number) => void)[] = [];
  /** Depth of open emit.unit() calls: no seal while > 0. */
  #inUnit = 0;
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
      unit: (fn) => this.#unit(fn),
      atSeal: (fn) => this.#atSeal.push(fn),
    };
  }

  flush(): void {
    this.#seal();
  }

  #seal(): void {
    const q = this.#o.queue;
    const samples = this.#count;
    if (samples === 0 && this.#events.length === 0) return this.#runAtSeal(q.nextSeq - 1);
    const reserved = q.reserve(samples);
    if (!reserved) {
      // No room (the disk is full and the hold buffer too): the batch is dropped, counted by the
      // queue. Positions move past its lines with the seq of the last batch kept: lost, not repeated.
      this.#clear();
      return this.#runAtSeal(q.nextSeq - 1);
    }
    const { seq, cumulativeSamples } = reserved;
    // encodeBatch copies the columns into bytes before it returns (protobufjs' packed writers
    // read `length` and indexes only), so views of the reused columns are safe to hand it.
    const payload = encodeBatch({
      seq,
      series: this.#series.subarray(0, samples) as unknown as number[],
      values: this.#values.subarray(0, samples) as unknown as number[],
      timeUs: this.#times.subarray(0, samples) as unknown as number[],
      events: this.#events,
      cumulativeSamples,
      droppedBatches: q.droppedBatches,
      droppedSamples: q.droppedSamples,
    });
    this.#clear();
    // Positions are saved tagged with this seq BEFORE the batch is queued: after a SIGKILL in
    // between, the seq is not in the queue and the sampler falls back to its previous save.
    this.#runAtSeal(seq);
    q.append(seq, cumulativeSamples, samples, payload);
    this.#o.onSealed();
  }

  /** The columns are reused (already copied into the payload); events are objects handed out, so a fresh array. */
  #clear(): void {
    this.#count = 0;
    this.#events = [];
  }

  #runAtSeal(seq: number): void {
    const waiting = this.#atSeal;
    this.#atSeal = [];
    for (const fn of waiting) {
      try {
        fn(seq);
      } catch (err) {
        this.#o.log.error({ err: (err as Error).message }, 'at-seal callback failed');
      }
    }
  }

  #unit(fn: () => void): void {
    this.#inUnit++;
    try {
      fn();
    } finally {
      this.#inUnit--;
    }
    if (this.#inUnit === 0 && this.#count >= this.#o.maxSamples) this.flush();
  }

  #sample(measurement: string, field: string, value: number, tags: Tags | undefined, timeUs: number | undefined, kind: SeriesKind): void {
    if (!Number.isFinite(value)) {
      this.nonFinite++;
      return;
    }
    const id = this.#o.series.idOf(measurement, field, tags, kind);
    if (id === undefined) return;
    const n = this.#count;
    if (n === this.#series.length) this.#grow();
    this.#series[n] = id;
    this.#values[n] = value;
    this.#times[n] = timeUs ?? this.#o.clock.nowUs();
    this.#count = n + 1;
    if (n + 1 >= this.#o.maxSamples && this.#inUnit === 0) this.flush();
  }

  /**
   * Doubles the columns. Inside an emit.unit() a batch may pass maxSamples (it is sealed when the
   * unit ends), so the columns grow past it as the JS arrays did; they never shrink.
   */
  #grow(): void {
    const capacity = this.#series.length * 2;
    const series = new Uint32Array(capacity);
    const values = new Float64Array(capacity);
    const times = new Float64Array(capacity);
    series.set(this.#series);
    values.set(this.#values);
    times.set(this.#times);
    this.#series = series;
    this.#values = values;
    this.#times = times;
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
