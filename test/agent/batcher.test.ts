/**
 * The batcher's side of exactly-once (issue #12): a unit is never split by a seal, and a position
 * saved at a seal is told the seq of the batch that holds everything emitted before it — before
 * that batch is in the queue.
 */
import t from 'tap';
import { join } from 'node:path';
import { Batcher } from '../../agent/batcher.js';
import { DiskQueue } from '../../agent/queue/disk-queue.js';
import { SeriesRegistry } from '../../agent/series-registry.js';
import { FakeClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/log.js';
import { pb } from '../../proto/wire.js';
import { scratchDir } from '../helpers/floorwatch.js';

function setup(t: { teardown(fn: () => void): void }, maxSamples = 50) {
  const dir = scratchDir(t);
  const queue = new DiskQueue({ dir: join(dir, 'queue'), maxBytes: 1 << 20 });
  const series = new SeriesRegistry(join(dir, 'series.jsonl'));
  const batcher = new Batcher({ clock: new FakeClock(), log: silentLogger, queue, series, flushMs: 1000, maxSamples, onSealed: () => {} });
  const sizes = () => [...queue.after(0)].map((b) => pb.SampleBatch.decode(b.payload).values.length);
  return { queue, batcher, emit: batcher.emitFor('test'), sizes };
}

t.test('a full batch is sealed after a unit, never inside it', async (t) => {
  const { batcher, emit, sizes, queue } = setup(t);
  const seqsInside: number[] = [];
  emit.unit!(() => {
    for (let i = 0; i < 120; i++) {
      emit.gauge('m', 'f', i);
      seqsInside.push(queue.nextSeq);
    }
  });
  t.same([...new Set(seqsInside)], [1], 'nothing sealed while the unit ran');
  t.same(sizes(), [120], 'the unit sealed whole, right after it');
  for (let i = 0; i < 120; i++) emit.gauge('m', 'f', i);
  batcher.flush();
  t.same(sizes(), [120, 50, 50, 20], 'outside a unit, batches seal at max_batch_samples');
});

t.test('at a seal, a position callback learns the seq of the batch holding what came before it, before it is queued', async (t) => {
  const { batcher, emit, queue } = setup(t);
  const seen: { seq: number; queuedThen: number }[] = [];
  const atSeal = () => emit.atSeal!((seq) => seen.push({ seq, queuedThen: queue.nextSeq - 1 }));
  emit.gauge('m', 'f', 1);
  atSeal();
  batcher.flush();
  t.same(seen, [{ seq: 1, queuedThen: 0 }], 'batch 1, not yet queued when the callback ran');
  atSeal();
  batcher.flush();
  t.same(seen[1], { seq: 1, queuedThen: 1 }, 'nothing new: the last queued seq');
  emit.event('e');
  atSeal();
  batcher.flush();
  t.same(seen[2], { seq: 2, queuedThen: 1 }, 'an event alone makes a batch too');
});

t.test(
  'the reused sample columns carry exactly each batch: grown past their first size inside a unit, nothing stale after a smaller batch',
  async (t) => {
    const { batcher, emit, queue } = setup(t, 300);
    const batches = () =>
      [...queue.after(0)].map((b) => {
        const d = pb.SampleBatch.decode(b.payload);
        return { values: d.values, times: d.timeUs.map(Number), series: d.series.length };
      });
    // 700 samples in one unit: past the columns' first 256 and past max_batch_samples (300).
    emit.unit!(() => {
      for (let i = 0; i < 700; i++) emit.gauge('m', 'f', i + 0.5, undefined, 1_000 + i);
    });
    emit.gauge('m', 'f', -1, undefined, 5);
    emit.gauge('m', 'g', -2, undefined, 6);
    batcher.flush();
    const got = batches();
    t.equal(got.length, 2, `two batches, got sizes ${got.map((b) => b.values.length).join(', ')}`);
    t.same(
      got[0]!.values,
      Array.from({ length: 700 }, (_, i) => i + 0.5),
      'the unit batch: every value, in order',
    );
    t.same(
      got[0]!.times,
      Array.from({ length: 700 }, (_, i) => 1_000 + i),
      'the unit batch: every time, in order',
    );
    t.equal(got[0]!.series, 700, 'the unit batch: a series id per sample');
    t.same(got[1], { values: [-1, -2], times: [5, 6], series: 2 }, 'the next batch holds its own two samples only');
  },
);
