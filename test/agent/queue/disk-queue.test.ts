import t from 'tap';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DiskQueue } from '../../../agent/queue/disk-queue.js';
import { scratchDir } from '../../helpers/floorwatch.js';

const payload = (seq: number, size = 100) => Buffer.alloc(size, seq % 256);

function fill(q: DiskQueue, n: number, samples = 10, size = 100): void {
  for (let i = 0; i < n; i++) {
    const { seq, cumulativeSamples } = q.reserve(samples);
    q.append(seq, cumulativeSamples, samples, payload(seq, size));
  }
}

t.test('replays pending batches in order after a restart, and continues the seq', async (t) => {
  const dir = scratchDir(t);
  const q = new DiskQueue({ dir, maxBytes: 1 << 20 });
  fill(q, 50);
  q.ack(20);
  // No close(): as after a SIGKILL.
  const again = new DiskQueue({ dir, maxBytes: 1 << 20 });
  again.ack(20); // what the brain's Welcome says it already stored
  const seqs = [...again.after(0)].map((b) => b.seq);
  t.same(
    seqs,
    Array.from({ length: 30 }, (_, i) => i + 21),
    'batches 21..50 pending, in order',
  );
  t.same([...again.after(40)].map((b) => b.seq)[0], 41, 'after(seq) skips what was sent');
  t.equal(again.nextSeq, 51);
  t.equal(again.cumulativeSamples, 500);
  t.same([...again.after(49)][0]!.payload, payload(50), 'payload read back from disk intact');
});

t.test('keeps the seq when everything was acked and the queue is empty', async (t) => {
  const dir = scratchDir(t);
  const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 64 * 1024 });
  fill(q, 2000, 1, 200);
  q.ack(2000);
  q.close();
  const again = new DiskQueue({ dir, maxBytes: 1 << 20 });
  again.ack(2000); // the brain's Welcome
  t.equal(again.stats().pendingBatches, 0);
  t.equal(again.nextSeq, 2001, 'seq continues, so the brain does not take new batches for replays');
  t.equal(again.cumulativeSamples, 2000);
  t.ok(readdirSync(dir).filter((f) => f.endsWith('.q')).length <= 1, 'acked segments were deleted');
});

t.test('at its bound it drops the oldest batches and counts them', async (t) => {
  const dir = scratchDir(t);
  const q = new DiskQueue({ dir, maxBytes: 256 * 1024, segmentBytes: 64 * 1024 });
  fill(q, 1000, 10, 1000); // ~1 MB into 256 KiB
  const s = q.stats();
  t.ok(s.pendingBytes <= 256 * 1024, `bounded: ${s.pendingBytes} bytes pending`);
  t.ok(s.droppedBatches > 0, `${s.droppedBatches} batches dropped`);
  t.equal(s.droppedSamples, s.droppedBatches * 10, 'dropped samples counted');
  t.equal(s.pendingBatches + s.droppedBatches, 1000, 'every batch is pending or counted as dropped');
  const first = [...q.after(0)][0]!.seq;
  t.equal(first, s.droppedBatches + 1, 'the oldest went first');
  q.close();
  t.equal(new DiskQueue({ dir, maxBytes: 256 * 1024 }).droppedBatches, s.droppedBatches, 'drop count survives a restart');
});

t.test('a torn record at the tail (crash mid-write) is cut, and later appends are readable', async (t) => {
  const dir = scratchDir(t);
  const q = new DiskQueue({ dir, maxBytes: 1 << 20 });
  fill(q, 5);
  const seg = readdirSync(dir).find((f) => f.endsWith('.q'))!;
  appendFileSync(join(dir, seg), Buffer.from([1, 2, 3, 4, 5, 6, 7]));
  const again = new DiskQueue({ dir, maxBytes: 1 << 20 });
  t.same(
    [...again.after(0)].map((b) => b.seq),
    [1, 2, 3, 4, 5],
  );
  fill(again, 2);
  const third = new DiskQueue({ dir, maxBytes: 1 << 20 });
  t.same(
    [...third.after(0)].map((b) => b.seq),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

t.test("sync() fsyncs only while a batch is unacknowledged (acked batches are the brain's)", async (t) => {
  const dir = scratchDir(t);
  const q = new DiskQueue({ dir, maxBytes: 1 << 20 });
  fill(q, 3);
  let synced = false;
  const fsynced = new Promise<void>((resolve) => q.sync(() => resolve(void (synced = true))));
  t.notOk(synced, 'pending batches: an fsync in the thread pool, done later');
  await fsynced;
  fill(q, 2);
  q.ack(5);
  let skipped = false;
  q.sync(() => (skipped = true));
  t.ok(skipped, 'everything acknowledged: done at once, no fsync');
  q.close();
});
