/**
 * What a demo sink received (pages, mails): kept in memory for the demo's HTTP side and appended
 * to a JSON-lines file in the demo's state dir (when given one), so it survives the demo and can
 * be read with jq. Bounded: past `max` entries new ones are dropped and counted (a demo never needs more).
 */
import { appendFileSync } from 'node:fs';

export class ReceivedLog<T> {
  readonly #entries: T[] = [];
  #dropped = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly max = 10_000,
  ) {}

  add(entry: T): void {
    if (this.#entries.length >= this.max) {
      this.#dropped++;
      return;
    }
    this.#entries.push(entry);
    if (this.file !== undefined) appendFileSync(this.file, JSON.stringify(entry) + '\n');
  }

  get entries(): readonly T[] {
    return this.#entries;
  }

  /** Whether one more entry would be kept. */
  get full(): boolean {
    return this.#entries.length >= this.max;
  }

  get dropped(): number {
    return this.#dropped;
  }
}
