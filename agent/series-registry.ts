/**
 * Agent-side series dictionary: (measurement, field, tags) → small integer id, the id a batch
 * carries on the wire. Persisted (append-only JSON lines) because queued batches refer to ids
 * and must mean the same series after an agent restart. Bounded: past maxSeries, new series
 * are refused and counted, never silently merged. A definition the disk refuses (ENOSPC, EIO) is
 * not used either: its samples are refused and counted (`unwritten`), the file is cut back to its
 * last whole line, and the series is tried again at its next sample.
 */
import { closeSync, existsSync, ftruncateSync, readFileSync, truncateSync } from 'node:fs';
import { ensureStateDir, OPEN, openStateFile, writeFully } from '../lib/state-files.js';
import { dirname } from 'node:path';
import type { ISeriesDef } from '../proto/wire.js';
import type { Tags } from './sampler.js';

export type SeriesKind = 0 | 1; // GAUGE | COUNTER (proto MetricKind)

/**
 * A trie over measurement, field, then each tag's name and value (names sorted): finding a
 * known series builds no key string. The agent looks up ~200 series a second, and the joined
 * key string was ~450 bytes of garbage per lookup.
 */
interface SeriesNode {
  id?: number;
  next?: Map<string, SeriesNode>;
}

export class SeriesRegistry {
  readonly #root: SeriesNode = {};
  readonly #defs: ISeriesDef[] = [];
  readonly #fd: number;
  readonly #maxSeries: number;
  #bytes: number;
  /** A failed write left bytes past #bytes that could not be cut yet: no append until they are. */
  #torn = false;
  refused = 0;
  /** Samples refused because their series' definition could not be written. */
  unwritten = 0;
  /** Called with each failed write (the agent counts it on its state disk's health). */
  onWriteError: ((err: unknown) => void) | undefined;

  constructor(file: string, maxSeries = 100_000) {
    this.#maxSeries = maxSeries;
    ensureStateDir(dirname(file));
    const validBytes = existsSync(file) ? this.#load(readFileSync(file)) : 0;
    // Cut a torn tail (crash mid-write) so definitions appended later are not hidden behind it.
    if (existsSync(file)) truncateSync(file, validBytes);
    this.#fd = openStateFile(file, OPEN.append);
    this.#bytes = validBytes;
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
    const known = seriesNode(this.#root, measurement, field, tags, false)?.id;
    if (known !== undefined) return known;
    if (this.#defs.length >= this.#maxSeries) {
      this.refused++;
      return undefined;
    }
    const def: ISeriesDef = { id: this.#defs.length, measurement, field, tags: { ...(tags ?? {}) }, kind };
    const line = Buffer.from(JSON.stringify(def) + '\n');
    try {
      if (this.#torn) {
        ftruncateSync(this.#fd, this.#bytes);
        this.#torn = false;
      }
      writeFully(this.#fd, line, null);
    } catch (err) {
      this.#unwritten(err);
      return undefined;
    }
    this.#bytes += line.length;
    this.#defs.push(def);
    seriesNode(this.#root, measurement, field, tags, true)!.id = def.id!;
    return def.id!;
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** A definition the disk refused: nothing of it may stay, or a restart would stop reading there. */
  #unwritten(err: unknown): void {
    this.unwritten++;
    this.onWriteError?.(err);
    try {
      ftruncateSync(this.#fd, this.#bytes);
    } catch (cut) {
      this.#torn = true; // cut again before the next append (or by the next start, see #load)
      this.onWriteError?.(cut);
    }
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
      seriesNode(this.#root, def.measurement ?? '', def.field ?? '', def.tags ?? undefined, true)!.id = def.id;
      valid = nl + 1;
    }
    return valid;
  }
}

/**
 * The series' node; with `create`, made (without an id) when missing, else undefined then, so
 * a refused series leaves nothing behind.
 */
function seriesNode(root: SeriesNode, measurement: string, field: string, tags: Tags | undefined, create: boolean): SeriesNode | undefined {
  let node = child(child(root, measurement, create), field, create);
  if (!tags) return node;
  let count = 0;
  let first = '';
  let second = '';
  // for..in finds one or two tags' names without allocating (and sorting) the array Object.keys
  // would: a log metric rule's {rule, file} is looked up once per matching line.
  for (const name in tags) {
    if (count === 0) first = name;
    else if (count === 1) second = name;
    count++;
  }
  if (count === 1) return child(child(node, first, create), tags[first]!, create);
  if (count === 2) {
    const a = first < second ? first : second; // the order Object.keys().sort() gives
    const b = first < second ? second : first;
    return child(child(child(child(node, a, create), tags[a]!, create), b, create), tags[b]!, create);
  }
  if (count > 2) for (const name of Object.keys(tags).sort()) node = child(child(node, name, create), tags[name]!, create);
  return node;
}

function child(node: SeriesNode | undefined, key: string, create: boolean): SeriesNode | undefined {
  if (!node) return undefined;
  let next = node.next?.get(key);
  if (!next && create) (node.next ??= new Map()).set(key, (next = {}));
  return next;
}
