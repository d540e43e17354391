/**
 * The offset store's promise: after a crash, the cursors loaded are those of the newest save whose
 * batch reached the disk queue (issue #12). A save is tagged with its batch's seq and written
 * before the batch is queued, so a crash between the two leaves a save whose seq is not queued.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { OffsetStore, type Cursor } from '../../../../agent/samplers/log/offsets.js';
import { scratchDir } from '../../../helpers/floorwatch.js';

const at = (offset: number): Cursor[] => [{ id: { ino: 1, dev: 1, fpLen: 256, fpHash: 'h' }, offset, skipping: false }];
const offsetOf = (store: OffsetStore) => store.load().get('/app.log')?.[0]?.offset;

/** A store over `dir` whose queue ends at whatever `queue.seq` holds. */
function open(dir: string, queue: { seq: number }): OffsetStore {
  return new OffsetStore(dir, false, () => queue.seq);
}

/** One seal of the agent: the save for `seq`, then (unless it crashes first) the batch queued. */
function seal(store: OffsetStore, queue: { seq: number }, seq: number, offset: number, crashBeforeQueued = false): void {
  store.set('/app.log', at(offset));
  store.save(seq);
  if (!crashBeforeQueued) queue.seq = seq;
}

t.test('a crash between the save and the queue append falls back to the save before it', async (t) => {
  for (const crashBeforeQueued of [true, false]) {
    const dir = scratchDir(t);
    const queue = { seq: 0 };
    const store = open(dir, queue);
    seal(store, queue, 1, 100);
    seal(store, queue, 2, 200);
    seal(store, queue, 3, 300, crashBeforeQueued);
    const expected = crashBeforeQueued ? 200 : 300;
    t.equal(
      offsetOf(open(dir, queue)),
      expected,
      `batch 3 ${crashBeforeQueued ? 'not ' : ''}queued: the offsets of batch ${crashBeforeQueued ? 2 : 3}`,
    );
  }
});

t.test('a save whose batch never reached the queue cannot come back when its seq is reused', async (t) => {
  const dir = scratchDir(t);
  const queue = { seq: 0 };
  const before = open(dir, queue);
  seal(before, queue, 1, 100);
  seal(before, queue, 2, 200, true); // SIGKILL before batch 2 is queued
  const after = open(dir, queue);
  t.equal(offsetOf(after), 100);
  queue.seq = 2; // the restarted agent's own batch 2 (other samples, no log progress)
  t.equal(offsetOf(open(dir, queue)), 100, 'the stale save for the first batch 2 was overwritten at load');
});

t.test('repeated saves for a batch that is not queued (a failing append) never overwrite the last good save', async (t) => {
  const dir = scratchDir(t);
  const queue = { seq: 0 };
  const store = open(dir, queue);
  seal(store, queue, 1, 100);
  for (const offset of [150, 180, 190]) seal(store, queue, 2, offset, true);
  t.equal(offsetOf(open(dir, queue)), 100);
});

t.test('a save with nothing new to queue (an empty seal) is tagged with the last queued seq and counts', async (t) => {
  const dir = scratchDir(t);
  const queue = { seq: 0 };
  const store = open(dir, queue);
  seal(store, queue, 1, 100);
  seal(store, queue, 1, 120); // lines that matched no rule
  t.equal(offsetOf(open(dir, queue)), 120);
});

t.test('a torn slot loses to the other one; offsets saved before seqs existed still load', async (t) => {
  const dir = scratchDir(t);
  const queue = { seq: 0 };
  const store = open(dir, queue);
  seal(store, queue, 1, 100);
  seal(store, queue, 2, 200);
  store.close();
  writeFileSync(join(dir, 'log-offsets.a'), '0000dead {"version":2,"gen'); // generation 2 went to slot a
  t.equal(offsetOf(open(dir, queue)), 100);

  const old = scratchDir(t);
  const body = JSON.stringify({ version: 1, generation: 7, files: { '/app.log': at(42) } });
  writeFileSync(join(old, 'log-offsets.b'), `${crc32(body).toString(16).padStart(8, '0')} ${body}\n`);
  t.equal(offsetOf(open(old, { seq: 0 })), 42);
});

t.test(
  'slots both ahead of the queue (its unsynced tail lost to a power cut): the one nearest the queue, and a problem reported',
  async (t) => {
    const dir = scratchDir(t);
    const queue = { seq: 0 };
    const store = open(dir, queue);
    seal(store, queue, 5, 100);
    seal(store, queue, 6, 200);
    const after = open(dir, { seq: 3 });
    t.equal(offsetOf(after), 100);
    t.match(after.problem, /saved for batch 5, but the agent's queue ends at 3/);
  },
);
