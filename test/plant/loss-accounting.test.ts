import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { DeskView } from '../../plant/components/desk-view.js';
import { PairMember, type PairHeartbeat } from '../../plant/pair/pair-member.js';
import { SequencedReceiver } from '../../plant/reliable/receiver.js';
import { LatencyHistogram } from '../../plant/stats/histogram.js';
import { Flag } from '../../plant/wire/packet.js';
import { RECORD_BYTES, readQuote, writeQuote } from '../../plant/wire/record.js';

const rec = (feedSeq: number, symbolId: number, symbolSeq: number) => {
  const b = Buffer.alloc(RECORD_BYTES);
  writeQuote(b, 0, { feedSeq, tsUs: 0, bid: 1, ask: 2, last: 1.5, symbolId, symbolSeq, size: 1 });
  return b;
};

t.test('a desk counts updates lost upstream from per-symbol sequence jumps, a resync included: never silent', async (t) => {
  const v = new DeskView(2, 'all', new LatencyHistogram());
  v.accept(rec(1, 0, 1), 1, 0, 0, 0);
  v.accept(rec(2, 1, 1), 1, 0, 0, 0);
  v.accept(rec(6, 0, 4), 1, 0, 0, 0); // symbol 0 updates 2 and 3 never arrived
  t.equal(v.counts.lost_updates, 2);
  t.equal(v.counts.symbol_seq_breaks, 1);
  v.accept(rec(9, 1, 5), 1, Flag.snapshot, 0, 0); // a resync's current value replaces 3 updates
  t.equal(v.counts.lost_updates, 5);
  v.accept(rec(6, 0, 4), 1, 0, 0, 0);
  t.equal(v.counts.duplicates, 1, 'a repeat is a duplicate, not a loss');
  t.equal(v.counts.lost_updates, 5);
});

function receiver(opts: { joinBacklog?: number; maxNakRecords?: number }) {
  const clock = new FakeClock(0);
  const naks: [number, number][] = [];
  const delivered: number[] = [];
  const r = new SequencedReceiver({
    clock,
    nakRetryMs: 10,
    maxNakRetries: 3,
    maxHeldRecords: 100000,
    ...opts,
    sendNak: (a, b) => naks.push([a, b]),
    deliver: (_s, body, n) => {
      for (let i = 0; i < n; i++) delivered.push(readQuote(body, i * RECORD_BYTES).feedSeq);
    },
  });
  return { clock, r, naks, delivered };
}
const data = (r: SequencedReceiver, from: number, n: number) => {
  const b = Buffer.alloc(n * RECORD_BYTES);
  for (let i = 0; i < n; i++)
    writeQuote(b, i * RECORD_BYTES, { feedSeq: from + i, tsUs: 0, bid: 1, ask: 2, last: 1, symbolId: 0, symbolSeq: from + i, size: 1 });
  r.onData(from, b, n, 0);
};

t.test('a receiver started mid-stream joins a bounded backlog back, and repairs a large hole a window at a time', async (t) => {
  const { r, naks, delivered } = receiver({ joinBacklog: 100, maxNakRecords: 40 });
  data(r, 1001, 10);
  t.equal(r.counters.joinSkipped, 900, 'seqs before the join point are not owed to it (and not counted as lost)');
  t.same(naks, [[901, 940]], 'only the first window of the backlog is asked for');
  data(r, 901, 40);
  t.same(naks.at(-1), [941, 980], 'progress asks for the next window at once');
  data(r, 941, 40);
  data(r, 981, 20);
  t.same(
    delivered,
    Array.from({ length: 110 }, (_, i) => 901 + i),
    'then every record once, in order',
  );
  t.equal(r.counters.gapsUnrecoverable, 0);
});

t.test('a stalled secondary that wakes with its deadline due and a heartbeat waiting does not take over', async (t) => {
  const clock = new FakeClock(0);
  const deferred: (() => void)[] = [];
  const m = new PairMember({
    id: 'b',
    rank: 1,
    clock,
    heartbeatMs: 25,
    missedHeartbeats: 4,
    startedUs: 0,
    send: () => undefined,
    position: () => 0,
    onRoleChange: () => undefined,
    defer: (fn) => deferred.push(fn),
  });
  const primary: PairHeartbeat = {
    t: 'pair',
    id: 'a',
    rank: 0,
    role: 'primary',
    term: 1,
    startedUs: 0,
    sentUs: 0,
    position: 0,
    yielding: false,
  };
  m.start();
  m.onPeerHeartbeat(primary);
  clock.advance(150); // the deadline fires (timers run first) ...
  t.equal(deferred.length, 1);
  m.onPeerHeartbeat(primary); // ... then the waiting heartbeat is read
  deferred.shift()!();
  t.equal(m.role, 'secondary', 'the second look sees the primary alive');
  clock.advance(100);
  deferred.shift()!();
  t.equal(m.role, 'primary', 'a primary really silent for 4 heartbeats is replaced');
  t.equal(m.failovers, 1);
  m.stop();
});
