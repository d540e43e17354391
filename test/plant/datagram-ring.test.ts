import t from 'tap';
import { DatagramRing } from '../../plant/reliable/datagram-ring.js';

/** A datagram of `bytes` bytes whose every byte is `seq % 256`, so an overwrite shows. */
const datagram = (seq: number, bytes: number) => Buffer.alloc(bytes, seq % 256);

t.test('the slab is written circularly: the oldest datagrams give way by bytes, and what is kept reads back intact', async (t) => {
  const ring = new DatagramRing(100, 1000, 300);
  for (let seq = 1; seq <= 12; seq++) ring.push(seq, 1, datagram(seq, 300));
  // 1,000 bytes hold three datagrams of 300: the wrap leaves 100 bytes unused at the end.
  t.equal(ring.size, 3);
  t.equal(ring.oldestSeq, 10);
  t.equal(ring.nextSeq, 13);
  t.equal(ring.evictedRecords, 9, 'every eviction is counted');
  const kept = ring.overlapping(1, 100);
  t.same(
    kept.map((e) => e.seq),
    [10, 11, 12],
  );
  for (const e of kept) t.ok(e.datagram.equals(datagram(e.seq, 300)), `datagram ${e.seq} intact`);
});

t.test('datagrams of different sizes: nothing kept is ever overlapped by a newer one', async (t) => {
  const ring = new DatagramRing(1000, 4096, 1024);
  let seq = 1;
  for (let i = 0; i < 500; i++) {
    const bytes = 24 + ((i * 389) % 1000);
    ring.push(seq, 2, datagram(seq, bytes));
    seq += 2;
    for (const e of ring.overlapping(0, seq))
      if (!e.datagram.equals(datagram(e.seq, e.datagram.length))) t.fail(`datagram ${e.seq} overwritten after push ${i}`);
  }
  t.ok(ring.size > 3, 'several datagrams kept');
  t.equal(ring.nextSeq, seq);
  t.equal(ring.evictedRecords + ring.size * 2, 1000, 'kept + evicted = pushed');
});

t.test('the datagram count bounds the ring too, and overlapping() finds ranges inside datagrams', async (t) => {
  const ring = new DatagramRing(4, 1 << 20, 1024);
  for (let i = 0; i < 10; i++) ring.push(1 + i * 10, 10, datagram(i, 64));
  t.equal(ring.size, 4);
  t.same(
    ring.overlapping(75, 85).map((e) => e.seq),
    [71, 81],
  );
  t.same(
    ring.overlapping(1, 60).map((e) => e.seq),
    [],
    'evicted ranges are not found',
  );
  const view = ring.reserve(101, 10, 64);
  view.fill(7);
  t.same(ring.overlapping(101, 101)[0]!.datagram, Buffer.alloc(64, 7), 'reserve() hands out the slab to fill in place');
});
