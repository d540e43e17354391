/**
 * Agent-side series dictionary: (measurement, field, tags) → small integer id, the id a batch
 * carries on the wire. Persisted (append-only JSON lines) because queued batches refer to ids
 * and must mean the same series after an agent restart. Bounded: past maxSeries, new series
 * are refused and counted, never silently merged.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ISeriesDef } from '../proto/wire.js';
import type { Tags } from './sampler.js';

export type SeriesKind = 0 | 1; // GAUGE | COUNTER (proto MetricKind)

export class SeriesRegistry {
  readonly #ids = new Map<string, number>();
  readonly #defs: ISeriesDef[] = [];
  readonly #fd: number;
  readonly #maxSeries: number;
  refused = 0;

  constructor(file: string, maxSeries = 100_000) {
    this.#maxSeries = maxSeries;
    mkdirSync(dirname(file), { recursive: true });
    const validBytes = existsSync(file) ? this.#load(readFileSync(file)) : 0;
    // Cut a torn tail (crash mid-write) so definitions appended later are not hidden behind it.
    if (existsSync(file)) truncateSync(file, validBytes);
    this.#fd = openSync(file, 'a');
  }

  get size(): number {
    return this.#defs.length;
  }

  /** Definitions with id >= from, to declare on a stream that has seen ids below `from`. */
  defsFrom(from: number): ISeriesDef[] {
    return this.#defs.slice(from);
  }

  /** The id of a series, created (and persisted) on first use; undefined when over the bound. */
  idOf(measurement: string, field: string, tags: Tags | undefined, kind: SeriesKind): number | undefined {
    const key = seriesKey(measurement, field, tags);
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    if (this.#defs.length >= this.#maxSeries) {
      this.refused++;
      return undefined;
    }
    const def: ISeriesDef = { id: this.#defs.length, measurement, field, tags: { ...(tags ?? {}) }, kind };
    writeSync(this.#fd, JSON.stringify(def) + '\n');
    this.#defs.push(def);
    this.#ids.set(key, def.id!);
    return def.id!;
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** Loads complete definitions; returns the byte length of the valid prefix. */
  #load(data: Buffer): number {
    let valid = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, valid)) {
      let def: ISeriesDef;
      try {
        def = JSON.parse(data.toString('utf8', valid, nl)) as ISeriesDef;
      } catch {
        break; // a torn line from a crash: ids after it were never used by a queued batch
      }
      if (def.id !== this.#defs.length) break;
      this.#defs.push(def);
      this.#ids.set(seriesKey(def.measurement ?? '', def.field ?? '', def.tags ?? undefined), def.id);
      valid = nl + 1;
    }
    return valid;
  }
}

function seriesKey(measurement: string, field: string, tags: Tags | undefined): string {
  if (!tags) return `${measurement}\u0000${field}`;
  const keys = Object.keys(tags).sort();
  let key = `${measurement}\u0000${field}`;
  for (const k of keys) key += `\u0000${k}=${tags[k]}`;
  return key;
}
