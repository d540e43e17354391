/**
 * The ticker plant's memory-resident database of current values: the latest record per
 * symbol, "necessitated by the need to supply the latest quote for a particular symbol —
 * essentially the instant it is subscribed to" (the paper).
 */
import { RECORD_BYTES, recordSymbol, recordsView } from '../wire/record.js';

export class CurrentValueCache {
  readonly #records: Buffer;
  readonly #has: Uint8Array;
  #filled = 0;
  badSymbols = 0;

  constructor(readonly symbolCount: number) {
    this.#records = Buffer.alloc(symbolCount * RECORD_BYTES);
    this.#has = new Uint8Array(symbolCount);
  }

  get filled(): number {
    return this.#filled;
  }

  apply(body: Buffer, count: number): void {
    const records = recordsView(body);
    for (let i = 0; i < count; i++) {
      const off = i * RECORD_BYTES;
      const s = recordSymbol(records, off);
      if (s >= this.symbolCount) {
        this.badSymbols++;
        continue;
      }
      body.copy(this.#records, s * RECORD_BYTES, off, off + RECORD_BYTES);
      if (this.#has[s] === 0) {
        this.#has[s] = 1;
        this.#filled++;
      }
    }
  }

  /** Current records of the symbols `wants` accepts, packed for one append. */
  snapshot(wants: (symbolId: number) => boolean): { body: Buffer; count: number } {
    const ids: number[] = [];
    for (let s = 0; s < this.symbolCount; s++) if (this.#has[s] === 1 && wants(s)) ids.push(s);
    const body = Buffer.allocUnsafe(ids.length * RECORD_BYTES);
    ids.forEach((s, i) => this.#records.copy(body, i * RECORD_BYTES, s * RECORD_BYTES, (s + 1) * RECORD_BYTES));
    return { body, count: ids.length };
  }
}
