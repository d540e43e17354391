/**
 * One sequenced UDP stream in: delivers records exactly once and in order, holding early
 * datagrams (bounded) while it NAKs the hole, retrying, and finally giving the hole up as an
 * unrecoverable gap so one lost datagram can never stall the stream for good.
 */
import type { Clock } from '../../lib/clock.js';
import { RECORD_BYTES } from '../wire/record.js';

export interface ReceiverOptions {
  clock: Clock;
  /** Where the stream is expected to start (a feed starts at 1). */
  firstSeq?: number;
  nakRetryMs: number;
  /** NAK rounds without progress before the hole is declared unrecoverable. */
  maxNakRetries: number;
  /** Bound on records held out of order; beyond it early datagrams are dropped (and counted). */
  maxHeldRecords: number;
  sendNak: (from: number, to: number) => void;
  /** In-order, de-duplicated runs of records: `body` holds `count` records starting at `seq`. */
  deliver: (seq: number, body: Buffer, count: number, flags: number) => void;
}

export interface ReceiverCounters {
  datagrams: number;
  deliveredRecords: number;
  duplicateRecords: number;
  gapsDetected: number;
  gapsUnrecoverable: number;
  unrecoverableRecords: number;
  naksSent: number;
  heldDropped: number;
}

interface Held {
  seq: number;
  count: number;
  body: Buffer;
  flags: number;
}

export class SequencedReceiver {
  readonly counters: ReceiverCounters = {
    datagrams: 0,
    deliveredRecords: 0,
    duplicateRecords: 0,
    gapsDetected: 0,
    gapsUnrecoverable: 0,
    unrecoverableRecords: 0,
    naksSent: 0,
    heldDropped: 0,
  };
  #opts: ReceiverOptions;
  #expected: number;
  /** One past the highest seq known to exist (seen in data or announced by a position). */
  #known: number;
  #held: Held[] = [];
  #heldRecords = 0;
  #stuckAt = -1;
  #nakRounds = 0;
  #lastNakAt = -Infinity;

  constructor(opts: ReceiverOptions) {
    this.#opts = opts;
    this.#expected = opts.firstSeq ?? 1;
    this.#known = this.#expected;
  }

  get expected(): number {
    return this.#expected;
  }
  get hasGap(): boolean {
    return this.#known > this.#expected;
  }
  /** Gaps that were detected and closed by retransmission (not given up). */
  get gapsRecovered(): number {
    return this.counters.gapsDetected - this.counters.gapsUnrecoverable - (this.hasGap ? 1 : 0);
  }

  /** Starts over on a new stream (e.g. the ticker plant fail-over started a new epoch). */
  reset(firstSeq: number): void {
    this.#expected = firstSeq;
    this.#known = firstSeq;
    this.#held = [];
    this.#heldRecords = 0;
    this.#nakRounds = 0;
    this.#stuckAt = -1;
  }

  onData(seq: number, body: Buffer, count: number, flags: number): void {
    this.counters.datagrams++;
    const end = seq + count;
    if (end <= this.#expected) {
      this.counters.duplicateRecords += count;
      return;
    }
    const holeFrom = this.#known;
    this.#known = Math.max(this.#known, end);
    if (seq <= this.#expected) {
      this.#deliverFrom(seq, body, count, flags);
      this.#drain();
    } else {
      this.#hold({ seq, count, body, flags });
    }
    this.#settle();
    if (seq > holeFrom) this.#newHole(holeFrom, seq - 1);
  }

  /** The sender says [from, to] is gone: skip it, count it, move on. */
  onGap(from: number, to: number): void {
    // A GAP for a later hole waits: the earlier one is answered first and that one is re-NAKed.
    if (to < this.#expected || from > this.#expected) return;
    const skipTo = to + 1;
    const firstHeld = this.#held[0]?.seq ?? Infinity;
    const lost = Math.max(0, Math.min(skipTo, firstHeld, this.#known) - this.#expected);
    this.counters.gapsUnrecoverable++;
    this.counters.unrecoverableRecords += lost;
    this.#expected = skipTo;
    this.#known = Math.max(this.#known, skipTo);
    this.#drain();
    this.#settle();
  }

  /** The sender's next seq: a lost tail becomes a visible hole. */
  onPosition(nextSeq: number): void {
    if (nextSeq > this.#known) {
      this.#newHole(this.#known, nextSeq - 1);
      this.#known = nextSeq;
    }
  }

  /** Called on a timer: re-NAK a hole that made no progress, or give it up after the limit. */
  tick(): void {
    if (!this.hasGap) return;
    const now = this.#opts.clock.monotonic();
    if (now - this.#lastNakAt < this.#opts.nakRetryMs) return;
    if (this.#nakRounds >= this.#opts.maxNakRetries) {
      this.#giveUp();
      return;
    }
    this.#nakMissing();
  }

  #newHole(from: number, to: number): void {
    this.counters.gapsDetected++;
    this.#nak(from, to);
  }

  #nak(from: number, to: number): void {
    this.counters.naksSent++;
    this.#lastNakAt = this.#opts.clock.monotonic();
    this.#opts.sendNak(from, to);
  }

  /** One NAK per missing range between held datagrams, bounded so a storm stays small. */
  #nakMissing(): void {
    this.#nakRounds++;
    let cursor = this.#expected;
    let sent = 0;
    for (const h of this.#held) {
      if (h.seq > cursor && sent < 32) {
        this.#nak(cursor, h.seq - 1);
        sent++;
      }
      cursor = Math.max(cursor, h.seq + h.count);
    }
    if (cursor < this.#known && sent < 32) this.#nak(cursor, this.#known - 1);
  }

  #giveUp(): void {
    const until = this.#held[0]?.seq ?? this.#known;
    this.counters.gapsUnrecoverable++;
    this.counters.unrecoverableRecords += until - this.#expected;
    this.#expected = until;
    this.#nakRounds = 0;
    this.#drain();
    this.#settle();
  }

  #hold(h: Held): void {
    if (this.#heldRecords + h.count > this.#opts.maxHeldRecords) {
      this.counters.heldDropped += h.count;
      return;
    }
    let i = this.#held.length;
    while (i > 0 && this.#held[i - 1]!.seq > h.seq) i--;
    this.#held.splice(i, 0, h);
    this.#heldRecords += h.count;
  }

  #drain(): void {
    while (this.#held.length > 0 && this.#held[0]!.seq <= this.#expected) {
      const h = this.#held.shift()!;
      this.#heldRecords -= h.count;
      if (h.seq + h.count > this.#expected) this.#deliverFrom(h.seq, h.body, h.count, h.flags);
      else this.counters.duplicateRecords += h.count;
    }
  }

  #deliverFrom(seq: number, body: Buffer, count: number, flags: number): void {
    const skip = this.#expected - seq;
    if (skip > 0) this.counters.duplicateRecords += skip;
    const n = count - skip;
    this.#expected += n;
    this.counters.deliveredRecords += n;
    this.#opts.deliver(seq + skip, skip > 0 ? body.subarray(skip * RECORD_BYTES) : body, n, flags);
  }

  /** Progress resets the retry budget: the limit is on rounds that achieved nothing. */
  #settle(): void {
    if (this.#expected !== this.#stuckAt) {
      this.#stuckAt = this.#expected;
      this.#nakRounds = 0;
    }
  }
}
