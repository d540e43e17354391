/**
 * The spool on a full or failing disk (issue #13 item 7): nothing it could not make durable is
 * acknowledged, nothing is lost or written twice, and it resumes by itself. Faults are injected
 * through the StateFs seam; test/scenarios/state-disk-full.test.ts fills a real filesystem.
 */
import t from 'tap';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { DiskHealth } from '../../../lib/disk-health.js';
import { Spool, type SpoolOptions } from '../../../brain/store/spool.js';
import { encodeSpoolRecord, spoolRecordSize } from '../../../brain/store/spool-record.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { FaultyFs, faults } from '../../helpers/faulty-fs.js';
import { waitFor } from '../../helpers/wait.js';

function setup(t: Parameters<typeof scratchDir>[0], extra: Partial<SpoolOptions> = {}) {
  const dir = scratchDir(t);
  const clock = new FakeClock();
  const faulty = new FaultyFs();
  const health = new DiskHealth('spool', clock);
  const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 16 * 1024, fsync: true, health, fs: faulty.fs, ...extra });
  spool.recover(() => {});
  return { dir, clock, faulty, health, spool };
}

/** Appends seqs from..to (one line each) and tracks which resolved. */
function appendRange(spool: Spool, from: number, to: number, acked: number[]): Promise<void>[] {
  const out: Promise<void>[] = [];
  for (let seq = from; seq <= to; seq++) out.push(spool.append('ws-1', seq, 1, `m v=${seq} ${seq}\n`).then(() => void acked.push(seq)));
  return out;
}

function seqsOnDisk(dir: string): number[] {
  const seen: number[] = [];
  new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 16 * 1024, fsync: true }).recover((r) => seen.push(r.seq));
  return seen;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Lets the fs callbacks (write, fdatasync on the thread pool) run. */
const settle = () => new Promise((r) => setTimeout(r, 30));

t.test('ENOSPC: appends are held and not acknowledged, then written in order once space returns', async (t) => {
  const { dir, clock, faulty, health, spool } = setup(t);
  const acked: number[] = [];
  await Promise.all(appendRange(spool, 1, 10, acked));
  faulty.fail(faults.diskFull);
  const held = appendRange(spool, 11, 20, acked);
  await waitFor('the spool to see the full disk', () => health.failing);
  await settle();
  t.same(acked, range(1, 10), 'nothing written after the disk filled is acknowledged');
  t.equal(health.fault?.code, 'ENOSPC');
  t.ok(health.fault?.full, 'ENOSPC counts as full, not failing');
  t.ok(spool.accepting, 'below maxHeldBytes it still accepts (in memory)');
  t.ok(spool.heldBytes > 0, `the held bytes are reported (${spool.heldBytes})`);
  clock.advance(1_000); // retries while still full
  await settle();
  t.ok(health.failing, 'still failing while the disk is full');
  t.same(acked, range(1, 10));
  faulty.heal();
  clock.advance(20_000);
  await Promise.all(held);
  t.same(acked, range(1, 20), 'everything held is acknowledged, in order');
  t.notOk(health.failing, 'healthy again');
  t.equal(spool.heldBytes, 0);
  t.same(
    spool.read({ segment: 0, offset: 0 }, 1000).records.map((r) => r.seq),
    range(1, 20),
    'readable once each, in order',
  );
  t.same(seqsOnDisk(dir), range(1, 20), 'a restart recovers each record once');
});

t.test('a short write then ENOSPC: the partial group is cut, never read as records', async (t) => {
  const { dir, clock, faulty, health, spool } = setup(t);
  const acked: number[] = [];
  await Promise.all(appendRange(spool, 1, 5, acked));
  faulty.fail(faults.diskFull, { short: true });
  const held = appendRange(spool, 6, 9, acked);
  await waitFor('the failure', () => health.failing);
  const recovered = seqsOnDisk(dir);
  t.same(recovered, range(1, recovered.length), `a crash now would recover whole records only, in order (${recovered})`);
  t.ok(recovered.length >= 5 && recovered.length < 9, 'the acknowledged ones and part of the group (the torn record fails its CRC)');
  faulty.heal();
  clock.advance(20_000);
  await Promise.all(held);
  t.same(seqsOnDisk(dir), range(1, 9), 'after the retry each record is on disk once');
});

t.test('a failed fdatasync is not retried as if fine: the group is rewritten from memory through a fresh fd', async (t) => {
  const { dir, clock, faulty, health, spool } = setup(t);
  const acked: number[] = [];
  await Promise.all(appendRange(spool, 1, 3, acked));
  faulty.fail(faults.syncError);
  const held = appendRange(spool, 4, 6, acked);
  await waitFor('the fdatasync failure', () => health.failing);
  await settle();
  t.same(acked, range(1, 3), 'a write whose fdatasync failed is not acknowledged');
  t.equal(health.fault?.code, 'EIO');
  t.notOk(health.fault?.full, 'EIO is failing, not full');
  faulty.heal();
  const syncsBefore = faulty.synced.length;
  clock.advance(20_000);
  await Promise.all(held);
  t.same(acked, range(1, 6));
  t.ok(
    faulty.synced.slice(syncsBefore).some((s) => s.startsWith('fdatasync ')),
    "the rewrite is fdatasync'd again",
  );
  t.same(seqsOnDisk(dir), range(1, 6), 'the records of the failed attempt are not on disk twice');
});

t.test('past maxHeldBytes the spool stops accepting, and accepts again once written', async (t) => {
  const { clock, faulty, health, spool } = setup(t, { maxHeldBytes: 2_000 });
  faulty.fail(faults.ioError);
  const acked: number[] = [];
  const held = appendRange(spool, 1, 1, acked);
  await waitFor('the failure', () => health.failing);
  let seq = 1;
  while (spool.accepting && seq < 1000) held.push(...appendRange(spool, ++seq, seq, acked));
  t.ok(seq < 1000, `accepting turned false after ${seq} appends (${spool.heldBytes} bytes held)`);
  t.notOk(spool.accepting);
  faulty.heal();
  clock.advance(20_000);
  await Promise.all(held);
  t.ok(spool.accepting, 'accepting again');
  t.same(acked, range(1, seq));
});

t.test('a new segment that cannot be created is retried; its directory is fsynced once created', async (t) => {
  const { dir, clock, faulty, health, spool } = setup(t, { segmentBytes: 200 });
  const acked: number[] = [];
  await Promise.all(appendRange(spool, 1, 2, acked));
  faulty.fail(faults.noNewFiles);
  // Each record is ~40 bytes: a few more need a new segment.
  const held: Promise<void>[] = [];
  for (let i = 3; i <= 12; i++) {
    held.push(...appendRange(spool, i, i, acked));
    await settle();
  }
  await waitFor('the failure to create a segment', () => health.failing);
  faulty.heal();
  clock.advance(20_000);
  await Promise.all(held);
  t.same(acked, range(1, 12));
  const segments = readdirSync(dir).filter((f) => f.endsWith('.seg'));
  t.ok(segments.length > 1, `several segments (${segments.join(', ')})`);
  t.ok(faulty.synced.filter((s) => s === `fsyncSync ${dir}`).length >= segments.length, 'the directory is fsynced after each new segment');
  t.same(seqsOnDisk(dir), range(1, 12));
});

t.test('state files are private: the spool directory 0700, segments 0600', async (t) => {
  const { dir, spool } = setup(t);
  await spool.append('ws-1', 1, 1, 'm v=1 1\n');
  t.equal(statSync(dir).mode & 0o777, 0o700);
  for (const f of readdirSync(dir)) t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
});

t.test('a checkpoint that cannot be written keeps the segment; on ENOSPC a forwarded segment is emptied first', async (t) => {
  const outcomes: string[] = [];
  const sizesAtCheckpoint: number[] = [];
  let firstSegment = '';
  const { dir, spool } = setup(t, {
    segmentBytes: 100,
    beforeDelete: () => {
      if (existsSync(join(dir, firstSegment))) sizesAtCheckpoint.push(statSync(join(dir, firstSegment)).size);
      const code = outcomes.shift();
      if (code) throw Object.assign(new Error(code), { code });
    },
  });
  for (let seq = 1; seq <= 6; seq++) await spool.append('ws-1', seq, 1, `m v=${seq} ${seq}\n`);
  const segments = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.seg'))
      .sort();
  firstSegment = segments()[0]!;
  const before = segments().length;
  t.ok(before >= 3, `${before} segments`);
  const { next } = spool.read({ segment: 0, offset: 0 }, 1000);

  outcomes.push('EIO');
  spool.release(next);
  t.equal(segments().length, before, 'EIO on the checkpoint: nothing deleted');
  t.ok(statSync(join(dir, firstSegment)).size > 0, 'and nothing emptied');

  sizesAtCheckpoint.length = 0;
  outcomes.push('ENOSPC');
  spool.release(next);
  t.ok(
    sizesAtCheckpoint[0]! > 0 && sizesAtCheckpoint[1] === 0,
    `ENOSPC: the segment was emptied before the second attempt (sizes ${sizesAtCheckpoint})`,
  );
  t.notOk(segments().includes(firstSegment), 'and then deleted');
  t.same(segments(), [segments().at(-1)], 'every forwarded segment but the active one is gone');
});

t.test('ENOSPC: a block of records encoded by the ingest worker is held and not acknowledged, then written once', async (t) => {
  const { dir, clock, faulty, health, spool } = setup(t);
  const acked: number[] = [];
  await Promise.all(appendRange(spool, 1, 3, acked));
  faulty.fail(faults.diskFull);
  const buf = Buffer.alloc(3 * spoolRecordSize('ws-1', Buffer.byteLength('m v=4 4\n')));
  let at = 0;
  for (const seq of [4, 5, 6]) at = encodeSpoolRecord(buf, at, 'ws-1', seq, 1, Buffer.from(`m v=${seq} ${seq}\n`));
  const held = spool.appendEncoded(buf, 3).then(() => void acked.push(4, 5, 6));
  await waitFor('the spool to see the full disk', () => health.failing);
  await settle();
  t.same(acked, range(1, 3), 'the block is not acknowledged while the disk is full');
  faulty.heal();
  clock.advance(20_000);
  await held;
  t.same(acked, range(1, 6), 'acknowledged once written');
  t.same(seqsOnDisk(dir), range(1, 6), 'a restart recovers each record once');
});
