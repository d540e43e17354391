/** An Emit that keeps everything it is given, for samplers under test. Bounded per test by design. */
import type { Emit, EventInput, Tags } from '../../../agent/sampler.js';

export interface RecordedValue {
  type: 'gauge' | 'counter';
  measurement: string;
  field: string;
  value: number;
  tags: Tags;
  timeUs: number | undefined;
}

export interface RecordedEvent extends EventInput {
  kind: string;
  /** performance.now() when the sampler pushed it: event latency is measured from this. */
  receivedMs: number;
}

export class RecordingEmit implements Emit {
  readonly values: RecordedValue[] = [];
  readonly events: RecordedEvent[] = [];
  readonly errors: Error[] = [];
  readonly #limit: number;

  constructor(limit = 1_000_000) {
    this.#limit = limit;
  }

  gauge(measurement: string, field: string, value: number, tags: Tags = {}, timeUs?: number): void {
    this.#push({ type: 'gauge', measurement, field, value, tags, timeUs });
  }
  counter(measurement: string, field: string, value: number, tags: Tags = {}, timeUs?: number): void {
    this.#push({ type: 'counter', measurement, field, value, tags, timeUs });
  }
  event(kind: string, input: EventInput = {}): void {
    this.events.push({ ...input, kind, receivedMs: performance.now() });
  }
  error(err: Error): void {
    this.errors.push(err);
  }

  /** The latest value of one series, or undefined. */
  last(measurement: string, field: string, tags: Tags = {}): RecordedValue | undefined {
    for (let i = this.values.length - 1; i >= 0; i--) {
      const v = this.values[i]!;
      if (v.measurement === measurement && v.field === field && matches(v.tags, tags)) return v;
    }
    return undefined;
  }

  series(measurement: string, field: string, tags: Tags = {}): RecordedValue[] {
    return this.values.filter((v) => v.measurement === measurement && v.field === field && matches(v.tags, tags));
  }

  #push(v: RecordedValue): void {
    if (this.values.length >= this.#limit) throw new Error(`RecordingEmit: more than ${this.#limit} values`);
    this.values.push(v);
  }
}

function matches(have: Tags, want: Tags): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}
