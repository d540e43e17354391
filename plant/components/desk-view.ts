/**
 * What a desk knows about each of its symbols, and the checks that make "every update exactly
 * once, in order" measurable: per-symbol sequence continuity, feed-sequence continuity (for a
 * desk taking every symbol), duplicates dropped, and whether the current value came first.
 */
import { Flag } from '../wire/packet.js';
import { RECORD_BYTES, recordFeedSeq, recordSymbol, recordSymbolSeq, recordTsUs, recordsView } from '../wire/record.js';
import type { LatencyHistogram, WindowedLatency } from '../stats/histogram.js';

export interface DeskCounts {
  updates: number;
  snapshot_records: number;
  duplicates: number;
  symbol_seq_breaks: number;
  feed_seq_breaks: number;
  updates_before_snapshot: number;
  /**
   * Updates this desk will never see, from per-symbol sequence jumps (a resync's current value
   * included): the end-to-end loss count, whatever hop lost them.
   */
  lost_updates: number;
  unexpected_symbols: number;
  first_feed_seq: number;
  last_feed_seq: number;
}

export class DeskView {
  readonly counts: DeskCounts = {
    updates: 0,
    snapshot_records: 0,
    duplicates: 0,
    symbol_seq_breaks: 0,
    feed_seq_breaks: 0,
    updates_before_snapshot: 0,
    lost_updates: 0,
    unexpected_symbols: 0,
    first_feed_seq: 0,
    last_feed_seq: 0,
  };
  /** Highest feed seq accepted, snapshots included: what the desk acknowledges to the ticker plants. */
  position = 0;
  readonly #lastSymbolSeq: Uint32Array;
  readonly #lastUpdateMs: Float64Array;
  readonly #wanted: Uint8Array;

  constructor(
    symbolCount: number,
    wanted: number[] | 'all',
    private readonly latency: WindowedLatency | LatencyHistogram,
  ) {
    this.#lastSymbolSeq = new Uint32Array(symbolCount);
    this.#lastUpdateMs = new Float64Array(symbolCount);
    this.#wanted = new Uint8Array(symbolCount);
    if (wanted === 'all') this.#wanted.fill(1);
    else for (const s of wanted) this.#wanted[s] = 1;
    this.all = wanted === 'all';
  }

  readonly all: boolean;

  accept(body: Buffer, count: number, flags: number, nowMonoUs: number, nowMs: number): void {
    const snapshot = (flags & Flag.snapshot) !== 0;
    const records = recordsView(body);
    for (let i = 0; i < count; i++) {
      const off = i * RECORD_BYTES;
      const sym = recordSymbol(records, off);
      if (this.#wanted[sym] !== 1) {
        this.counts.unexpected_symbols++;
        continue;
      }
      const symSeq = recordSymbolSeq(records, off);
      const last = this.#lastSymbolSeq[sym]!;
      if (symSeq <= last) {
        this.counts.duplicates++;
        continue;
      }
      if (last === 0 && !snapshot) this.counts.updates_before_snapshot++;
      if (last !== 0 && symSeq !== last + 1) {
        if (!snapshot) this.counts.symbol_seq_breaks++;
        this.counts.lost_updates += symSeq - last - 1;
      }
      this.#lastSymbolSeq[sym] = symSeq;
      this.#lastUpdateMs[sym] = nowMs;
      const feedSeq = recordFeedSeq(records, off);
      if (snapshot) {
        this.counts.snapshot_records++;
      } else {
        this.counts.updates++;
        this.latency.record(nowMonoUs - recordTsUs(records, off));
        if (this.all && this.position > 0 && feedSeq !== this.position + 1) this.counts.feed_seq_breaks++;
        if (this.counts.first_feed_seq === 0) this.counts.first_feed_seq = feedSeq;
        this.counts.last_feed_seq = feedSeq;
      }
      if (feedSeq > this.position) this.position = feedSeq;
    }
  }

  /** Symbols the desk wants but holds no value for, or whose value is older than maxAgeMs (0: no age limit). */
  staleSymbols(nowMs: number, maxAgeMs: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.#wanted.length; s++) {
      if (this.#wanted[s] !== 1) continue;
      if (this.#lastSymbolSeq[s] === 0 || (maxAgeMs > 0 && nowMs - this.#lastUpdateMs[s]! > maxAgeMs)) out.push(s);
    }
    return out;
  }

  wantedSymbols(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.#wanted.length; s++) if (this.#wanted[s] === 1) out.push(s);
    return out;
  }
}
