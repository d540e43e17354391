/** An Emit that records everything, for asserting on what a sampler delivered. */
import type { Emit, EventInput, Tags } from '../../../agent/sampler.js';

export interface RecordedPoint {
  kind: 'gauge' | 'counter';
  measurement: string;
  field: string;
  value: number;
  tags: Tags | undefined;
  timeUs: number | undefined;
}

export class RecordingEmit implements Emit {
  readonly points: RecordedPoint[] = [];
  readonly events: { kind: string; input: EventInput }[] = [];
  readonly errors: Error[] = [];

  gauge(measurement: string, field: string, value: number, tags?: Tags, timeUs?: number): void {
    this.points.push({ kind: 'gauge', measurement, field, value, tags, timeUs });
  }
  counter(measurement: string, field: string, value: number, tags?: Tags, timeUs?: number): void {
    this.points.push({ kind: 'counter', measurement, field, value, tags, timeUs });
  }
  event(kind: string, input: EventInput = {}): void {
    this.events.push({ kind, input });
  }
  error(err: Error): void {
    this.errors.push(err);
  }

  eventsOf(kind: string): EventInput[] {
    return this.events.filter((e) => e.kind === kind).map((e) => e.input);
  }
  fieldValues(measurement: string, field: string): number[] {
    return this.points.filter((p) => p.measurement === measurement && p.field === field).map((p) => p.value);
  }
}
