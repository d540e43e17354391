/** Per-rule counts keyed by file and capture tags, bounded: series beyond the cap are counted, not kept. */
import type { Tags } from '../../sampler.js';

export class SeriesCounts {
  readonly #max: number;
  readonly #series = new Map<string, { tags: Tags; count: number }>();
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  add(key: string, makeTags: () => Tags): void {
    const s = this.#series.get(key);
    if (s) s.count++;
    else if (this.#series.size < this.#max) this.#series.set(key, { tags: makeTags(), count: 1 });
    else this.dropped++;
  }

  /** Creates the series at 0 if it is new, so the brain sees the first matches as growth. */
  touch(key: string, makeTags: () => Tags): void {
    if (this.#series.has(key)) return;
    if (this.#series.size < this.#max) this.#series.set(key, { tags: makeTags(), count: 0 });
    else this.dropped++;
  }

  *entries(): Iterable<{ tags: Tags; count: number }> {
    yield* this.#series.values();
  }
}
