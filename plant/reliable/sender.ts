/**
 * One sequenced UDP stream out: batches records into datagrams at the end of the event-loop
 * turn (no added latency, many records per syscall), keeps them in a bounded ring, answers
 * NAKs by retransmitting or, beyond the ring, with a GAP so the receiver stops asking.
 */
import type { DatagramOut, Endpoint } from '../net/udp.js';
import { endpointKey } from '../net/udp.js';
import { RECORD_BYTES } from '../wire/record.js';
import { Flag, HEADER_BYTES, PacketType, encodePosition, encodeRange, writeHeader } from '../wire/packet.js';
import { DatagramRing } from './datagram-ring.js';

export interface SenderOptions {
  out: DatagramOut;
  destinations: Endpoint[];
  epoch: number;
  term: number;
  firstSeq?: number;
  maxRecordsPerDatagram: number;
  ringDatagrams: number;
  /** The ring's slab: how many bytes of recent datagrams a NAK can still be answered from. */
  ringBytes: number;
  /** Fault injection: this fraction of first transmissions is silently not sent. */
  dropFraction?: number;
  random?: () => number;
  /** Called when records are queued; the owner arranges a flush at the end of the turn. */
  scheduleFlush?: (flush: () => void) => void;
}

export interface SenderCounters {
  datagramsSent: number;
  recordsSent: number;
  retransmittedDatagrams: number;
  gapsAnswered: number;
  injectedDrops: number;
  naksReceived: number;
}

export class SequencedSender {
  readonly counters: SenderCounters = {
    datagramsSent: 0,
    recordsSent: 0,
    retransmittedDatagrams: 0,
    gapsAnswered: 0,
    injectedDrops: 0,
    naksReceived: 0,
  };
  readonly ring: DatagramRing;
  #opts: SenderOptions;
  #destinations: Endpoint[];
  #nextSeq: number;
  /**
   * Records queued for the next datagram, as references to the caller's buffers (which are
   * never written after they are handed over): the datagram is built once, at flush, straight
   * into the ring's slab at its exact size.
   */
  #pending: Buffer[] = [];
  #pendingSeq = 0;
  #pendingCount = 0;
  #pendingFlags = 0;
  #flushScheduled = false;
  #muted = false;
  #lastSentSeq = 0;
  term: number;

  constructor(opts: SenderOptions) {
    this.#opts = opts;
    this.#destinations = [...opts.destinations];
    this.#nextSeq = opts.firstSeq ?? 1;
    this.ring = new DatagramRing(opts.ringDatagrams, opts.ringBytes, HEADER_BYTES + opts.maxRecordsPerDatagram * RECORD_BYTES);
    this.term = opts.term;
  }

  get epoch(): number {
    return this.#opts.epoch;
  }
  get nextSeq(): number {
    return this.#nextSeq;
  }
  /** Highest seq actually put on the wire (a muted secondary puts nothing). */
  get lastSentSeq(): number {
    return this.#lastSentSeq;
  }
  get muted(): boolean {
    return this.#muted;
  }

  /** A secondary builds and keeps datagrams exactly like the primary but sends none. */
  mute(muted: boolean): void {
    this.flush();
    this.#muted = muted;
  }

  setDestinations(destinations: Endpoint[]): void {
    this.#destinations = [...destinations];
  }

  /**
   * Appends `count` records (RECORD_BYTES each) taking the next sequence numbers. `body` is
   * referenced until the flush: the caller must not write it afterwards.
   */
  append(body: Buffer, count: number, flags = 0): void {
    this.appendAt(this.#nextSeq, body, count, flags);
  }

  /**
   * Appends records whose sequence is given (a relay keeps its input's numbering). A jump
   * forward leaves a hole that NAKs will be told is unavailable.
   */
  appendAt(seq: number, body: Buffer, count: number, flags = 0): void {
    if (seq < this.#nextSeq) {
      const skip = this.#nextSeq - seq;
      if (skip >= count) return;
      body = body.subarray(skip * RECORD_BYTES);
      count -= skip;
      seq = this.#nextSeq;
    }
    if (seq !== this.#nextSeq || flags !== this.#pendingFlags) this.flush();
    this.#nextSeq = seq;
    let offset = 0;
    while (count > 0) {
      if (this.#pendingCount === 0) {
        this.#pendingSeq = this.#nextSeq;
        this.#pendingFlags = flags;
      }
      const room = this.#opts.maxRecordsPerDatagram - this.#pendingCount;
      const n = Math.min(room, count);
      this.#pending.push(body.subarray(offset, offset + n * RECORD_BYTES));
      this.#pendingCount += n;
      this.#nextSeq += n;
      offset += n * RECORD_BYTES;
      count -= n;
      if (this.#pendingCount === this.#opts.maxRecordsPerDatagram) this.flush();
    }
    this.#schedule();
  }

  flush(): void {
    if (this.#pendingCount === 0) return;
    const datagram = this.ring.reserve(this.#pendingSeq, this.#pendingCount, HEADER_BYTES + this.#pendingCount * RECORD_BYTES);
    let at = HEADER_BYTES;
    for (const chunk of this.#pending) at += chunk.copy(datagram, at);
    writeHeader(datagram, {
      type: PacketType.data,
      flags: this.#pendingFlags,
      count: this.#pendingCount,
      epoch: this.#opts.epoch,
      term: this.term,
      seq: this.#pendingSeq,
    });
    const lastSeq = this.#pendingSeq + this.#pendingCount - 1;
    this.#pending.length = 0;
    this.#pendingCount = 0;
    if (this.#muted) return;
    this.#lastSentSeq = lastSeq;
    this.counters.recordsSent += this.#pendingCountOf(datagram);
    for (const to of this.#destinations) this.#transmit(datagram, to, true);
  }

  /** Resends every kept datagram from `fromSeq` on to all destinations; returns records it no longer had. */
  replayFrom(fromSeq: number): number {
    this.flush();
    const end = this.#nextSeq - 1;
    if (fromSeq > end) return 0;
    const oldest = this.ring.oldestSeq ?? this.#nextSeq;
    const missing = Math.max(0, Math.min(oldest, end + 1) - fromSeq);
    for (const e of this.ring.overlapping(fromSeq, end)) {
      for (const to of this.#destinations) this.#transmit(e.datagram, to, false);
      this.#lastSentSeq = Math.max(this.#lastSentSeq, e.seq + e.count - 1);
    }
    return missing;
  }

  /** Answers a NAK from one receiver: retransmit what the ring holds, GAP for the rest. */
  onNak(from: number, to: number, requester: Endpoint): void {
    this.counters.naksReceived++;
    this.flush();
    const end = Math.min(to, this.#nextSeq - 1);
    let cursor = from;
    for (const e of this.ring.overlapping(from, end)) {
      if (e.seq > cursor) this.#sendGap(cursor, e.seq - 1, requester);
      this.#transmit(e.datagram, requester, false);
      this.counters.retransmittedDatagrams++;
      cursor = e.seq + e.count;
    }
    if (cursor <= end) this.#sendGap(cursor, end, requester);
  }

  /** Tells receivers where the stream is, so a lost last datagram is still noticed. */
  sendPosition(flags = 0): void {
    // Records still waiting for their (coalesced) flush go first: announcing them before they
    // are sent would make every receiver see a hole, NAK it, and get them twice.
    this.flush();
    if (this.#muted) return;
    const buf = encodePosition(this.#opts.epoch, this.term, this.#nextSeq, flags);
    for (const to of this.#destinations) this.#opts.out.send(buf, to);
  }

  #sendGap(from: number, to: number, requester: Endpoint): void {
    this.counters.gapsAnswered++;
    this.#opts.out.send(encodeRange(PacketType.gap, this.#opts.epoch, this.term, from, to), requester);
  }

  #pendingCountOf(datagram: Buffer): number {
    return (datagram.length - HEADER_BYTES) / RECORD_BYTES;
  }

  #transmit(datagram: Buffer, to: Endpoint, first: boolean): void {
    const drop = this.#opts.dropFraction ?? 0;
    if (first && drop > 0 && (this.#opts.random ?? Math.random)() < drop) {
      this.counters.injectedDrops++;
      return;
    }
    this.counters.datagramsSent++;
    this.#opts.out.send(first ? datagram : withFlag(datagram, Flag.retransmit), to);
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#pendingCount === 0) return;
    this.#flushScheduled = true;
    const run = () => {
      this.#flushScheduled = false;
      this.flush();
    };
    if (this.#opts.scheduleFlush) this.#opts.scheduleFlush(run);
    else setImmediate(run);
  }
}

function withFlag(datagram: Buffer, flag: number): Buffer {
  const copy = Buffer.from(datagram);
  copy.writeUInt16LE(copy.readUInt16LE(4) | flag, 4);
  return copy;
}

export function destinationKeys(ds: Endpoint[]): string[] {
  return ds.map(endpointKey);
}
