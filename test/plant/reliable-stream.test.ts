import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import type { DatagramOut, Endpoint } from '../../plant/net/udp.js';
import { SequencedReceiver } from '../../plant/reliable/receiver.js';
import { SequencedSender } from '../../plant/reliable/sender.js';
import { HEADER_BYTES, PacketType, readHeader } from '../../plant/wire/packet.js';
import { RECORD_BYTES, readQuote, writeQuote } from '../../plant/wire/record.js';

const DESK: Endpoint = { host: '127.0.0.1', port: 1 };

function records(from: number, n: number): Buffer {
  const b = Buffer.alloc(n * RECORD_BYTES);
  for (let i = 0; i < n; i++)
    writeQuote(b, i * RECORD_BYTES, { feedSeq: from + i, tsUs: 0, bid: 1, ask: 2, last: 1.5, symbolId: 0, symbolSeq: from + i, size: 100 });
  return b;
}

/** Sender → (lossy) wire → receiver, all synchronous; `lose` decides per datagram. */
function link(
  opts: { ring?: number; lose?: (buf: Buffer, n: number) => boolean; maxHeld?: number; retries?: number; joinBacklog?: number } = {},
) {
  const clock = new FakeClock(0);
  const delivered: number[] = [];
  let n = 0;
  let sender!: SequencedSender;
  const receiver = new SequencedReceiver({
    clock,
    nakRetryMs: 10,
    maxNakRetries: opts.retries ?? 3,
    maxHeldRecords: opts.maxHeld ?? 1000,
    ...(opts.joinBacklog === undefined ? {} : { joinBacklog: opts.joinBacklog }),
    sendNak: (from, to) => sender.onNak(from, to, DESK),
    deliver: (_seq, body, count) => {
      for (let i = 0; i < count; i++) delivered.push(readQuote(body, i * RECORD_BYTES).feedSeq);
    },
  });
  // Datagrams queue and are delivered one at a time, as a socket would: no re-entrant delivery.
  const queue: Buffer[] = [];
  let pumping = false;
  const out: DatagramOut = {
    send(buf) {
      if (opts.lose?.(buf, n++)) return;
      queue.push(buf);
      if (pumping) return;
      pumping = true;
      for (let b = queue.shift(); b; b = queue.shift()) {
        const h = readHeader(b)!;
        if (h.type === PacketType.data) receiver.onData(h.seq, b.subarray(HEADER_BYTES), h.count, h.flags);
        else if (h.type === PacketType.gap) receiver.onGap(h.seq, h.to);
        else if (h.type === PacketType.position) receiver.onPosition(h.seq);
      }
      pumping = false;
    },
  };
  sender = new SequencedSender({
    out,
    destinations: [DESK],
    epoch: 7,
    term: 1,
    maxRecordsPerDatagram: 4,
    ringDatagrams: opts.ring ?? 64,
    ringBytes: 1 << 20,
    scheduleFlush: () => undefined,
  });
  return { clock, sender, receiver, delivered };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

t.test('a lost datagram is NAKed on the next one and retransmitted: delivery stays exactly once, in order', async (t) => {
  const l = link({ lose: (_b, n) => n === 1 });
  l.sender.append(records(1, 12), 12);
  l.sender.flush();
  t.same(l.delivered, range(1, 12));
  t.equal(l.receiver.counters.gapsDetected, 1);
  t.equal(l.receiver.gapsRecovered, 1);
  t.equal(l.receiver.counters.gapsUnrecoverable, 0);
});

t.test('a lost last datagram is found by the position message', async (t) => {
  let drop = true;
  const l = link({ lose: (buf) => drop && readHeader(buf)!.seq === 5 && readHeader(buf)!.type === PacketType.data && !(drop = false) });
  l.sender.append(records(1, 8), 8);
  l.sender.flush();
  t.same(l.delivered, range(1, 4));
  l.sender.sendPosition();
  t.same(l.delivered, range(1, 8));
});

t.test('a position never announces records still waiting for their flush (no false hole, no NAK, no duplicate)', async (t) => {
  const l = link();
  l.sender.append(records(1, 3), 3); // less than a datagram: waits for the (coalesced) flush
  l.sender.sendPosition();
  t.same(l.delivered, range(1, 3), 'the records went out before the position');
  t.equal(l.receiver.counters.gapsDetected, 0);
  t.equal(l.receiver.counters.naksSent, 0);
  t.equal(l.receiver.counters.duplicateRecords, 0);
});

t.test('duplicates (replays, crossed retransmissions) are dropped and counted', async (t) => {
  const l = link();
  l.sender.append(records(1, 8), 8);
  l.sender.flush();
  l.sender.replayFrom(1);
  t.same(l.delivered, range(1, 8));
  t.equal(l.receiver.counters.duplicateRecords, 8);
});

t.test('a NAK beyond the ring is answered with a GAP: the hole is counted unrecoverable and delivery moves on', async (t) => {
  let blackout = true;
  const l = link({ ring: 2, lose: (buf) => blackout && readHeader(buf)!.type === PacketType.data });
  l.sender.append(records(1, 16), 16);
  l.sender.flush();
  blackout = false;
  l.sender.append(records(17, 4), 4);
  l.sender.flush();
  t.same(l.delivered, range(13, 20), 'what the ring still held was recovered');
  t.equal(l.receiver.counters.unrecoverableRecords, 12);
  t.equal(l.receiver.counters.gapsUnrecoverable, 1);
  t.ok(l.sender.ring.evictedRecords >= 12, 'ring evictions are counted');
});

t.test('a member joining mid-stream: the backlog the sender no longer holds is skipped, not lost; later holes still count', async (t) => {
  let joined = false;
  let loseNext = false;
  const l = link({
    ring: 2,
    joinBacklog: 12,
    lose: (buf) => {
      const h = readHeader(buf)!;
      if (h.type !== PacketType.data || h.flags & 1) return false;
      if (loseNext && h.seq === 25) return !(loseNext = false);
      return !joined; // the receiver was not running yet
    },
  });
  l.sender.append(records(1, 16), 16);
  l.sender.flush();
  joined = true;
  l.sender.append(records(17, 4), 4);
  l.sender.flush();
  t.same(l.delivered, range(13, 20), 'it joined with what the ring still held of its backlog');
  t.equal(l.receiver.counters.joinSkipped, 12, '4 never asked for + 8 the ring no longer held');
  t.equal(l.receiver.counters.gapsUnrecoverable, 0, 'the dead period is not a loss');
  t.equal(l.receiver.counters.gapsDetected, 0, 'nor a detected gap');
  l.sender.append(records(21, 4), 4);
  l.sender.flush();
  loseNext = true;
  l.sender.append(records(25, 12), 12);
  l.sender.flush();
  t.equal(l.receiver.counters.gapsDetected, 1, 'a hole after the join point is a real gap');
  t.equal(l.receiver.gapsRecovered, 1, 'and repaired');
  t.same(l.delivered, range(13, 36));
});

t.test('a hole nobody answers is given up after the retry budget, never stalling the stream', async (t) => {
  const l = link({ lose: (buf) => readHeader(buf)!.seq === 5 });
  l.sender.append(records(1, 12), 12);
  l.sender.flush();
  t.same(l.delivered, range(1, 4));
  for (let i = 0; i < 10; i++) {
    l.clock.advance(10);
    l.receiver.tick();
  }
  t.same(l.delivered, [...range(1, 4), ...range(9, 12)]);
  t.equal(l.receiver.counters.unrecoverableRecords, 4);
  t.ok(l.receiver.counters.naksSent >= 3, 'it asked again before giving up');
});

t.test('the out-of-order hold is bounded and its drops are counted, then re-asked for', async (t) => {
  let first = true;
  const l = link({ maxHeld: 4, retries: 100, lose: (buf) => first && readHeader(buf)!.seq === 1 && !(first = false) });
  l.sender.append(records(1, 4), 4);
  l.sender.flush();
  l.sender.append(records(5, 12), 12);
  l.sender.flush();
  t.same(l.delivered, range(1, 16), 'the NAK answer repaired the hole');
});

t.test('early datagrams beyond the hold bound are dropped and counted', async (t) => {
  const clock = new FakeClock(0);
  const r = new SequencedReceiver({
    clock,
    nakRetryMs: 10,
    maxNakRetries: 3,
    maxHeldRecords: 4,
    sendNak: () => undefined,
    deliver: () => undefined,
  });
  r.onData(5, records(5, 4), 4, 0);
  r.onData(9, records(9, 4), 4, 0);
  t.equal(r.counters.heldDropped, 4);
  t.equal(r.counters.gapsDetected, 1);
});

t.test('a desk at a new stream epoch starts again from 1 and the sender numbering is per stream', async (t) => {
  const l = link();
  l.sender.append(records(1, 4), 4);
  l.sender.flush();
  l.receiver.reset(1);
  const again = link();
  again.sender.append(records(5, 4), 4);
  again.sender.flush();
  t.same(again.delivered, range(5, 8));
});

/** A sender whose datagrams queue in a "socket" the receiver reads only when the test says. */
function backlogged(opts: { lose: (seq: number, retransmit: boolean) => boolean }) {
  const clock = new FakeClock(0);
  const socket: Buffer[] = [];
  const delivered: number[] = [];
  let sender!: SequencedSender;
  const receiver = new SequencedReceiver({
    clock,
    nakRetryMs: 10,
    maxNakRetries: 3,
    maxHeldRecords: 10_000,
    stampUs: () => clock.monotonic() * 1000,
    sendNak: (from, to) => sender.onNak(from, to, DESK),
    deliver: (_seq, body, count) => {
      for (let i = 0; i < count; i++) delivered.push(readQuote(body, i * RECORD_BYTES).feedSeq);
    },
  });
  const out: DatagramOut = {
    send(buf) {
      const h = readHeader(buf)!;
      if (h.type !== PacketType.data || !opts.lose(h.seq, (h.flags & 1) !== 0)) socket.push(Buffer.from(buf));
    },
  };
  sender = new SequencedSender({
    out,
    destinations: [DESK],
    epoch: 7,
    term: 1,
    maxRecordsPerDatagram: 4,
    ringDatagrams: 1024,
    ringBytes: 1 << 20,
    scheduleFlush: () => undefined,
  });
  /** Records stamped now (the provider's clock), sent at once. */
  const produce = (from: number, n: number) => {
    const b = Buffer.alloc(n * RECORD_BYTES);
    for (let i = 0; i < n; i++)
      writeQuote(b, i * RECORD_BYTES, {
        feedSeq: from + i,
        tsUs: clock.monotonic() * 1000,
        bid: 1,
        ask: 2,
        last: 1.5,
        symbolId: 0,
        symbolSeq: from + i,
        size: 100,
      });
    sender.append(b, n);
    sender.flush();
  };
  /** Reads one datagram, 5 ms apart, with the retry timer running in between. */
  const readOne = () => {
    const b = socket.shift();
    if (!b) return false;
    const h = readHeader(b)!;
    if (h.type === PacketType.data) receiver.onData(h.seq, b.subarray(HEADER_BYTES), h.count, h.flags);
    else if (h.type === PacketType.gap) receiver.onGap(h.seq, h.to);
    clock.advance(5);
    receiver.tick();
    return true;
  };
  return { clock, socket, receiver, delivered, produce, readOne };
}

t.test('a receiver working through a backlog does not give up a hole whose answer is queued behind that backlog', async (t) => {
  // 50 datagrams wait in the socket; the second was lost. Reading them takes 250 ms, far more
  // than the 3 × 10 ms retry budget; the retransmission arrives after all of them.
  const l = backlogged({ lose: (seq, retransmit) => seq === 5 && !retransmit });
  l.produce(1, 200);
  l.clock.advance(1);
  while (l.readOne());
  t.equal(l.receiver.counters.unrecoverableRecords, 0, 'nothing given up');
  t.same(l.delivered, range(1, 200), 'every record once, in order');
  t.equal(l.receiver.counters.naksSent, 1, 'no re-NAK while only older data was read: its answer was still on the way');
});

t.test('a hole whose answer is overdue — newer data read, no repair — is still given up after the retry budget', async (t) => {
  const l = backlogged({ lose: (seq) => seq === 5 });
  l.produce(1, 8);
  l.readOne();
  l.readOne();
  for (let seq = 9; seq < 200 && l.receiver.counters.unrecoverableRecords === 0; seq += 4) {
    l.produce(seq, 4);
    l.readOne();
  }
  t.equal(l.receiver.counters.unrecoverableRecords, 4, 'the lost datagram counted unrecoverable');
  t.ok(l.receiver.counters.naksSent >= 3, 'asked again before giving up');
  t.same(l.delivered.slice(0, 8), [1, 2, 3, 4, 9, 10, 11, 12], 'delivery moved on past the hole');
});
