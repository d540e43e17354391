/**
 * The agent's hold buffer (agent/queue/holding-queue.ts) on a fake clock, over a real DiskQueue
 * whose file calls fail on demand (test/helpers/faulty-fs.ts): what the disk cannot take is held,
 * never visible to the shipper, written in order once the disk takes writes again; past its bound
 * new batches are dropped before they get a seq, and counted.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Batcher } from '../../../agent/batcher.js';
import { DiskQueue } from '../../../agent/queue/disk-queue.js';
import { HoldingQueue } from '../../../agent/queue/holding-queue.js';
import { SeriesRegistry } from '../../../agent/series-registry.js';
import { watchAgentDisk } from '../../../agent/state-disk.js';
import { FakeClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/log.js';
import type { IEvent } from '../../../proto/wire.js';
import { FaultyFs, faults } from '../../helpers/faulty-fs.js';
import { scratchDir } from '../../helpers/floorwatch.js';

function setup(t: { teardown(fn: () => void): void }, opts: { maxBytes?: number; maxBatches?: number } = {}) {
  const dir = join(scratchDir(t), 'queue');
  const clock = new FakeClock();
  const faulty = new FaultyFs();
  const told: IEvent[][] = [];
  const disk = watchAgentDisk({ clock, log: silentLogger, host: 'ws-1', tell: (e) => told.push(e) });
  const health = disk.disk.health('queue');
  const queue = new DiskQueue({ dir, maxBytes: 1 << 20, fs: faulty.fs, health });
  let durable = 0;
  const holding = new HoldingQueue({ clock, log: silentLogger, queue, health, ...opts, onDurable: () => durable++ });
  const put = (samples = 10, size = 100) => {
    const r = holding.reserve(samples);
    if (r) holding.append(r.seq, r.cumulativeSamples, samples, Buffer.alloc(size, r.seq % 256));
    return r?.seq;
  };
  const queued = () => [...queue.after(0)].map((b) => b.seq);
  return { dir, clock, faulty, told, disk, health, queue, holding, put, queued, durable: () => durable };
}

t.test('a full disk: batches are held, not sent, then written in order once space returns', async (t) => {
  const s = setup(t);
  t.same([s.put(), s.put()], [1, 2], 'two batches while the disk takes writes');
  s.faulty.fail(faults.diskFull);
  t.same([s.put(), s.put(), s.put()], [3, 4, 5], 'seqs go on while the disk is full');
  t.same(s.queued(), [1, 2], 'the shipper sees only what the disk queue holds');
  t.equal(s.queue.nextSeq, 3, 'the queued seq (what log offsets trust) stops at 2');
  t.equal(s.holding.nextSeq, 6, 'the next batch gets 6');
  t.same(s.holding.stats(), { heldBatches: 3, heldBytes: 300, droppedBatches: 0, droppedSamples: 0 }, 'three held');
  t.same(
    s.told.map((e) => [e[0]!.kind, e[0]!.attrs?.['code'], e[0]!.attrs?.['store']]),
    [['state_disk.full', 'ENOSPC', 'queue']],
    'the brain is told once: state_disk.full, ENOSPC, queue',
  );
  const failedBefore = s.faulty.failed.length;
  s.clock.advance(1000);
  t.ok(s.faulty.failed.length > failedBefore, `retried on the clock (${s.faulty.failed.length - failedBefore} more failed calls)`);
  t.same(s.queued(), [1, 2], 'still nothing new queued');

  s.faulty.heal();
  s.clock.advance(20_000);
  t.same(s.queued(), [1, 2, 3, 4, 5], 'the held batches are queued, in order');
  t.equal(s.holding.heldBatches, 0, 'nothing held');
  t.ok(s.durable() >= 1, 'the shipper was told');
  t.same(
    s.told.map((e) => e[0]!.kind),
    ['state_disk.full', 'state_disk.ok'],
    'then state_disk.ok',
  );
  t.same([s.put()], [6], 'and appends go straight to disk again');
  t.same(s.queued(), [1, 2, 3, 4, 5, 6]);
  t.equal(s.queue.cumulativeSamples, 60, 'cumulative samples count every kept batch once');
  const again = new DiskQueue({ dir: s.dir, maxBytes: 1 << 20 });
  t.same(
    [...again.after(0)].map((b) => [b.seq, b.payload[0]]),
    [1, 2, 3, 4, 5, 6].map((seq) => [seq, seq]),
    'a restart reads back every batch whole (the failed attempts left nothing behind)',
  );
});

t.test('the hold bound: new batches are dropped before they get a seq, and counted', async (t) => {
  const s = setup(t, { maxBytes: 250 });
  s.faulty.fail(faults.diskFull);
  const seqs = [s.put(10), s.put(10), s.put(10), s.put(7), s.put(5)];
  t.same(seqs, [1, 2, 3, undefined, undefined], 'three held (300 bytes ≥ 250), then dropped');
  t.same(s.holding.stats(), { heldBatches: 3, heldBytes: 300, droppedBatches: 2, droppedSamples: 12 }, 'two drops, 12 samples, counted');
  t.equal(s.holding.droppedBatches, 2, 'and in the dropped count every batch tells the brain');
  s.faulty.heal();
  s.clock.advance(20_000);
  t.same([s.put(1)], [4], 'seqs stay gapless after the drops');
  t.same(s.queued(), [1, 2, 3, 4]);
  t.equal(s.queue.cumulativeSamples, 31, 'cumulative samples leave out what was dropped');
});

t.test('the hold bound in batches', async (t) => {
  const s = setup(t, { maxBatches: 2 });
  s.faulty.fail(faults.diskFull);
  t.same([s.put(), s.put(), s.put()], [1, 2, undefined], 'two held, the third dropped');
});

t.test('an I/O error is a failing disk (state_disk.failing), and recovers the same way', async (t) => {
  const s = setup(t);
  s.faulty.fail(faults.ioError);
  t.equal(s.put(), 1);
  t.same(s.queued(), [], 'held');
  t.equal(s.told[0]?.[0]?.kind, 'state_disk.failing');
  t.equal(s.told[0]?.[0]?.attrs?.['code'], 'EIO');
  s.faulty.heal();
  s.clock.advance(20_000);
  t.same(s.queued(), [1]);
  t.equal(s.told[1]?.[0]?.kind, 'state_disk.ok');
});

t.test('a failed fsync of the queue is reported, and later appends go to a new segment', async (t) => {
  const s = setup(t);
  s.put();
  s.faulty.fail(faults.syncError);
  await new Promise<void>((r) => s.queue.sync(r));
  t.ok(s.health.failing, `the queue's health says failing: ${s.health.fault?.code}`);
  s.faulty.heal();
  s.put();
  t.notOk(s.health.failing, 'ok again after the next write');
  t.equal(readdirSync(s.dir).filter((f) => f.endsWith('.q')).length, 2, 'the batch after the failed fsync is in a new segment');
});

t.test('acknowledged segments are deleted while meta.json cannot be written, except the newest', async (t) => {
  const dir = join(scratchDir(t), 'queue');
  const faulty = new FaultyFs();
  const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 64 * 1024, fs: faulty.fs });
  for (let i = 0; i < 40; i++) {
    const r = q.reserve(1);
    q.append(r.seq, r.cumulativeSamples, 1, Buffer.alloc(4000, 1));
  }
  const segments = () => readdirSync(dir).filter((f) => f.endsWith('.q'));
  t.equal(segments().length, 3, 'three segments');
  faulty.fail(faults.noNewFiles); // meta.json.tmp cannot be created
  q.ack(40);
  t.equal(segments().length, 1, 'the older segments are deleted (space given back), the newest kept');
  t.ok(q.health.errorCount > 0, `the refused meta.json write is counted (${q.health.errorCount})`);
  const again = new DiskQueue({ dir, maxBytes: 1 << 20 });
  t.equal(again.nextSeq, 41, 'a restart still knows the next seq from the newest segment');
});

t.test('with the batcher: positions are tagged with the held seq, which log offsets do not trust until it is queued', async (t) => {
  const s = setup(t);
  const series = new SeriesRegistry(join(scratchDir(t), 'series.jsonl'));
  const batcher = new Batcher({
    clock: s.clock,
    log: silentLogger,
    queue: s.holding,
    series,
    flushMs: 1000,
    maxSamples: 100,
    onSealed: () => {},
  });
  const emit = batcher.emitFor('test');
  const seen: { seq: number; queued: number }[] = [];
  const atSeal = () => emit.atSeal!((seq) => seen.push({ seq, queued: s.queue.nextSeq - 1 }));
  emit.gauge('m', 'f', 1);
  batcher.flush();
  s.faulty.fail(faults.diskFull);
  emit.gauge('m', 'f', 2);
  atSeal();
  batcher.flush();
  atSeal();
  batcher.flush();
  t.same(
    seen,
    [
      { seq: 2, queued: 1 },
      { seq: 2, queued: 1 },
    ],
    'batch 2 (held): the position is tagged 2 while the queue ends at 1, also at an empty seal',
  );
  s.faulty.heal();
  s.clock.advance(20_000);
  t.equal(s.queue.nextSeq - 1, 2, 'once written, seq 2 is queued and the position counts');
});
