/**
 * One sequenced UDP stream in: delivers records exactly once and in order, holding early
 * datagrams (bounded) while it NAKs the hole, retrying, and finally giving the hole up as an
 * unrecoverable gap so one lost datagram can never stall the stream for good.
 */
import type { Clock } from '../../lib/clock.js';
import { hostMonoUs } from '../time.js';
import { RECORD_BYTES, recordTsUs, recordsView } from '../wire/record.js';

export interface ReceiverOptions {
  clock: Clock;
  /** Where the stream is expected to start (a feed starts at 1). */
  firstSeq?: number;
  nakRetryMs: number;
  /**
   * Fruitless NAK rounds before the hole is declared unrecoverable. A round is fruitless only
   * when its answer is overdue: data the sender produced after the NAK went out has been read
   * (its retransmission, sent on the same path, would have come first), or nothing at all was
   * read (a quiet stream). A receiver working through a backlog in its socket reads only older
   * data, its NAK's answer still queued behind it, and waiting costs it no round. So the budget
   * is maxNakRetries × nakRetryMs of time in which the answer could have been read.
   */
  maxNakRetries: number;
  /** The host-monotonic µs clock that stamps records at the provider (tests inject their own). */
  stampUs?: () => number;
  /** Bound on records held out of order; beyond it early datagrams are dropped (and counted). */
  maxHeldRecords: number;
  sendNak: (from: number, to: number) => void;
  /**
   * Largest range one NAK asks for (default 2048 records). A hole is repaired a window at a
   * time, so a receiver far behind (a member that just restarted) pulls its backlog at a pace
   * its socket buffer can take, instead of asking for the sender's whole ring in one burst.
   */
  maxNakRecords?: number;
  /**
   * A receiver that has delivered nothing yet and first hears of seq S joins at
   * S - joinBacklog: it asks for that much history, not for everything since seq 1. What it
   * never asked for is counted as `joinSkipped`, not as a loss (it was not running then).
   * The backlog is best effort: what of it the sender no longer holds is skipped the same way.
   */
  joinBacklog?: number;
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
  /**
   * Records before the join point of a receiver that started mid-stream, never owed to it:
   * those it did not ask for, and those of its backlog the sender no longer held.
   */
  joinSkipped: number;
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
    joinSkipped: 0,
  };
  #opts: ReceiverOptions;
  #expected: number;
  /** One past the highest seq known to exist (seen in data or announced by a position). */
  #known: number;
  /** Early datagrams sorted by seq; #held[#heldHead] is the first (a queue without O(n) shifts). */
  #held: Held[] = [];
  #heldHead = 0;
  #heldRecords = 0;
  #joined: boolean;
  /**
   * The first seq a mid-stream joiner heard: everything before it is backlog fetched on a best
   * effort basis (the member was dead or not yet started then), so a hole there is no loss.
   */
  #joinPoint = 0;
  #stuckAt = -1;
  #nakRounds = 0;
  #lastNakAt = -Infinity;
  /** Stamp clock at the last NAK, and what has been read since: whether its answer is overdue. */
  #lastNakStampUs = 0;
  #readSinceNak = false;
  #newerDataSinceNak = false;
  /** Highest seq asked for so far: the repair window moves on from here as the hole fills. */
  #requestedTo = 0;

  constructor(opts: ReceiverOptions) {
    this.#opts = opts;
    this.#expected = opts.firstSeq ?? 1;
    this.#known = this.#expected;
    this.#joined = opts.joinBacklog === undefined;
  }

  get expected(): number {
    return this.#expected;
  }
  /** Records before this seq are the join backlog (history, fetched late), not live data. */
  get joinPoint(): number {
    return this.#joinPoint;
  }
  get hasGap(): boolean {
    return this.#known > this.#expected;
  }
  /** Gaps that were detected and closed by retransmission (not given up). */
  get gapsRecovered(): number {
    const open = this.hasGap && this.#expected >= this.#joinPoint ? 1 : 0;
    return Math.max(0, this.counters.gapsDetected - this.counters.gapsUnrecoverable - open);
  }

  /** Starts over on a new stream (e.g. the ticker plant fail-over started a new epoch). */
  reset(firstSeq: number): void {
    this.#expected = firstSeq;
    this.#known = firstSeq;
    this.#held = [];
    this.#heldHead = 0;
    this.#heldRecords = 0;
    this.#nakRounds = 0;
    this.#stuckAt = -1;
    this.#requestedTo = 0;
  }

  onData(seq: number, body: Buffer, count: number, flags: number): void {
    this.counters.datagrams++;
    this.#readSinceNak = true;
    if (recordTsUs(recordsView(body), (count - 1) * RECORD_BYTES) > this.#lastNakStampUs) this.#newerDataSinceNak = true;
    if (!this.#joined) this.#join(seq);
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
    const progressed = this.#settle();
    if (seq > holeFrom) this.#newHole(holeFrom, seq - 1);
    else if (progressed && this.hasGap && this.#requestedTo < this.#expected + this.#window() / 2) this.#nakWindow(false);
  }

  /** The sender says [from, to] is gone: skip it, count it, move on. */
  onGap(from: number, to: number): void {
    // A GAP for a later hole waits: the earlier one is answered first and that one is re-NAKed.
    if (to < this.#expected || from > this.#expected) return;
    const skipTo = to + 1;
    const firstHeld = this.#held[this.#heldHead]?.seq ?? Infinity;
    this.#skip(Math.min(skipTo, firstHeld, this.#known));
    this.#expected = skipTo;
    this.#known = Math.max(this.#known, skipTo);
    this.#drain();
    this.#settle();
  }

  /** The sender's next seq: a lost tail becomes a visible hole. */
  onPosition(nextSeq: number): void {
    this.#readSinceNak = true;
    if (!this.#joined) this.#join(nextSeq);
    if (nextSeq > this.#known) {
      this.#newHole(this.#known, nextSeq - 1);
      this.#known = nextSeq;
    }
  }

  /** Called on a timer: re-NAK a hole whose answer is overdue, or give it up after the limit. */
  tick(): void {
    if (!this.hasGap) return;
    const now = this.#opts.clock.monotonic();
    if (now - this.#lastNakAt < this.#opts.nakRetryMs) return;
    if (this.#readSinceNak && !this.#newerDataSinceNak) return;
    if (this.#nakRounds >= this.#opts.maxNakRetries) {
      this.#giveUp();
      return;
    }
    this.#nakMissing();
  }

  /** First contact of a receiver started mid-stream: ask for a bounded backlog, not all history. */
  #join(seq: number): void {
    this.#joined = true;
    const at = Math.max(this.#expected, seq - (this.#opts.joinBacklog ?? 0));
    this.counters.joinSkipped += at - this.#expected;
    this.#joinPoint = seq;
    this.#expected = at;
    this.#known = Math.max(this.#known, at);
    this.#stuckAt = at;
  }

  #newHole(from: number, to: number): void {
    if (to >= this.#joinPoint) this.counters.gapsDetected++;
    // Only the first window of a large hole: the rest is asked for as the repair makes progress.
    if (from < this.#expected + this.#window()) this.#nak(from, to);
  }

  #window(): number {
    return this.#opts.maxNakRecords ?? 2048;
  }

  #nak(from: number, to: number): void {
    const last = Math.min(to, this.#expected + this.#window() - 1);
    if (last < from) return;
    this.counters.naksSent++;
    this.#lastNakAt = this.#opts.clock.monotonic();
    this.#lastNakStampUs = (this.#opts.stampUs ?? hostMonoUs)();
    this.#readSinceNak = false;
    this.#newerDataSinceNak = false;
    this.#requestedTo = Math.max(this.#requestedTo, last);
    this.#opts.sendNak(from, last);
  }

  /** One NAK per missing range between held datagrams, bounded so a storm stays small. */
  #nakMissing(): void {
    this.#nakRounds++;
    this.#nakWindow(true);
  }

  /** NAKs the missing ranges in the repair window (all of it on a retry, only the new part as the window moves). */
  #nakWindow(retry: boolean): void {
    let cursor = retry ? this.#expected : Math.max(this.#expected, this.#requestedTo + 1);
    let sent = 0;
    const horizon = this.#expected + this.#window();
    for (let i = this.#heldHead; i < this.#held.length && cursor < horizon; i++) {
      const h = this.#held[i]!;
      if (h.seq > cursor && sent < 32) {
        this.#nak(cursor, h.seq - 1);
        sent++;
      }
      cursor = Math.max(cursor, h.seq + h.count);
    }
    if (cursor < this.#known && cursor < horizon && sent < 32) this.#nak(cursor, this.#known - 1);
  }

  #giveUp(): void {
    const until = this.#held[this.#heldHead]?.seq ?? this.#known;
    this.#skip(until);
    this.#expected = until;
    this.#nakRounds = 0;
    this.#drain();
    this.#settle();
  }

  /** Counts the records from #expected up to `until` as given up: backlog before the join point is skipped, the rest lost. */
  #skip(until: number): void {
    const backlog = Math.max(0, Math.min(until, this.#joinPoint) - this.#expected);
    const lost = Math.max(0, until - this.#expected - backlog);
    this.counters.joinSkipped += backlog;
    if (lost === 0) return;
    this.counters.gapsUnrecoverable++;
    this.counters.unrecoverableRecords += lost;
  }

  #hold(h: Held): void {
    if (this.#heldRecords + h.count > this.#opts.maxHeldRecords) {
      this.counters.heldDropped += h.count;
      return;
    }
    // Binary search: a repair inserts near the front of a long queue of live data.
    let lo = this.#heldHead;
    let hi = this.#held.length;
    if (hi === lo || this.#held[hi - 1]!.seq <= h.seq) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#held[mid]!.seq > h.seq) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.#heldHead && this.#heldHead > 0) this.#held[--this.#heldHead] = h;
    else this.#held.splice(lo, 0, h);
    this.#heldRecords += h.count;
  }

  #drain(): void {
    while (this.#heldHead < this.#held.length && this.#held[this.#heldHead]!.seq <= this.#expected) {
      const h = this.#held[this.#heldHead]!;
      this.#held[this.#heldHead++] = undefined as unknown as Held;
      this.#heldRecords -= h.count;
      if (h.seq + h.count > this.#expected) this.#deliverFrom(h.seq, h.body, h.count, h.flags);
      else this.counters.duplicateRecords += h.count;
    }
    if (this.#heldHead === this.#held.length) {
      this.#held = [];
      this.#heldHead = 0;
    } else if (this.#heldHead > 1024 && this.#heldHead * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#heldHead = 0;
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
  #settle(): boolean {
    if (this.#expected !== this.#stuckAt) {
      this.#stuckAt = this.#expected;
      this.#nakRounds = 0;
      return true;
    }
    return false;
  }
}
