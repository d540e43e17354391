/**
 * Every series the brain knows, with its latest value. A series is interned once, when an
 * agent declares it; batches then update it by reference, without touching a string. Its
 * line-protocol prefix is encoded once here, so storing a sample is one copy of its bytes.
 */
import { escapeKey, escapeMeasurement, formatTags } from '../store/line-protocol.js';
import { isCharted, RecentRing } from './recent-ring.js';

/**
 * One series and its latest value. It reads as the rules read a series (`labels`, `value`,
 * `atMs`: brain/rules/rule.ts SeriesSample), so the rules and detectors walk the table's own
 * objects instead of a copy of each series at every evaluation.
 */
export class BrainSeries {
  readonly agentId: string;
  readonly measurement: string;
  readonly field: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly kind: number;
  /** `measurement,tag=v,... field=`, as bytes (brain/store/line-buffer.ts). */
  readonly linePrefix: Uint8Array;
  last = NaN;
  lastUs = 0;
  /** Its place in the table, in declaration order (the ingest worker names series by it). */
  index = -1;
  /** The last minutes, for the wall board's charts: only charted fields (recent-ring.ts), within the table's bound. */
  recent: RecentRing | undefined;

  constructor(agentId: string, def: SeriesDefinition, tags: Readonly<Record<string, string>>) {
    this.agentId = agentId;
    this.measurement = def.measurement;
    this.field = def.field;
    this.tags = tags;
    this.kind = def.kind;
    this.linePrefix = Buffer.from(`${escapeMeasurement(def.measurement)}${formatTags(tags)} ${escapeKey(def.field)}=`, 'utf8');
  }

  get labels(): Readonly<Record<string, string>> {
    return this.tags;
  }

  get value(): number {
    return this.last;
  }

  /** When the latest value was sampled, ms since the epoch; 0 when never. */
  get atMs(): number {
    return this.lastUs / 1000;
  }
}

export interface SeriesDefinition {
  measurement: string;
  field: string;
  tags: Record<string, string>;
  kind: number;
}

export class SeriesTable {
  readonly #byKey = new Map<string, BrainSeries>();
  /** measurement + field → its series, in the order they were declared (what rules read). */
  readonly #byName = new Map<string, BrainSeries[]>();
  /** agent id → its series, for one host's detail without a scan. */
  readonly #byAgent = new Map<string, BrainSeries[]>();
  readonly #maxSeries: number;
  readonly #maxCharted: number;
  refused = 0;
  /** Series given a recent-values ring (at most maxCharted). */
  charted = 0;
  /** Charted fields that got no ring because `maxCharted` rings existed (their latest value is kept). */
  chartsRefused = 0;

  constructor(maxSeries: number, maxCharted = 50_000) {
    this.#maxSeries = maxSeries;
    this.#maxCharted = maxCharted;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The series for an agent's definition; `agentTags` (agent, host, labels) are added to it. */
  intern(agentId: string, agentTags: Record<string, string>, def: SeriesDefinition): BrainSeries | undefined {
    const tags = { ...def.tags, ...agentTags };
    const key = `${agentId}\u0000${def.measurement}\u0000${def.field}\u0000${canonicalTags(tags)}`;
    const known = this.#byKey.get(key);
    if (known) return known;
    if (this.#byKey.size >= this.#maxSeries) {
      this.refused++;
      return undefined;
    }
    const s = new BrainSeries(agentId, def, tags);
    s.index = this.#byKey.size;
    if (isCharted(def.measurement, def.field)) {
      if (this.charted < this.#maxCharted) {
        s.recent = new RecentRing();
        this.charted++;
      } else {
        this.chartsRefused++;
      }
    }
    this.#byKey.set(key, s);
    const mine = this.#byAgent.get(agentId);
    if (mine) mine.push(s);
    else this.#byAgent.set(agentId, [s]);
    const name = nameKey(def.measurement, def.field);
    const named = this.#byName.get(name);
    if (named) named.push(s);
    else this.#byName.set(name, [s]);
    return s;
  }

  /** Every series of `measurement` with field `field`, without a scan (the rules' read). */
  named(measurement: string, field: string): readonly BrainSeries[] {
    return this.#byName.get(nameKey(measurement, field)) ?? [];
  }

  /** One agent's series, in the order they were declared. */
  ofAgent(agentId: string): readonly BrainSeries[] {
    return this.#byAgent.get(agentId) ?? [];
  }

  /** Series matching a filter, for the API. */
  *select(filter: { agentId?: string; measurement?: string; field?: string } = {}): Generator<BrainSeries> {
    for (const s of filter.agentId !== undefined ? this.ofAgent(filter.agentId) : this.#byKey.values()) {
      if (filter.agentId !== undefined && s.agentId !== filter.agentId) continue;
      if (filter.measurement !== undefined && s.measurement !== filter.measurement) continue;
      if (filter.field !== undefined && s.field !== filter.field) continue;
      yield s;
    }
  }
}

function nameKey(measurement: string, field: string): string {
  return `${measurement}\u0000${field}`;
}

function canonicalTags(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join('\u0000');
}
