import t from 'tap';
import { Spool } from '../../../brain/store/spool.js';
import { scratchDir } from '../../helpers/floorwatch.js';

const opts = (dir: string, extra = {}) => ({ dir, maxBytes: 1 << 20, segmentBytes: 16 * 1024, fsync: true, ...extra });

t.test('appended records are read back in order and survive a restart', async (t) => {
  const dir = scratchDir(t);
  const spool = new Spool(opts(dir));
  spool.recover(() => {});
  await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(`a${i % 3}`, i + 1, 2, `m f=${i} 1\nm g=${i} 1\n`)));
  const { records } = spool.read({ segment: 0, offset: 0 }, 1_000_000);
  t.equal(records.length, 200);
  t.same(
    records.map((r) => r.seq),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  const seen: number[] = [];
  new Spool(opts(dir)).recover((r) => seen.push(r.seq));
  t.equal(seen.length, 200, 'recovery sees every record');
});

t.test('read honours maxLines at record boundaries and resumes from the returned position', async (t) => {
  const dir = scratchDir(t);
  const spool = new Spool(opts(dir));
  spool.recover(() => {});
  await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append('a', i + 1, 10, 'x f=1 1\n'.repeat(10))));
  let pos = { segment: 0, offset: 0 };
  const seqs: number[] = [];
  for (;;) {
    const { records, next } = spool.read(pos, 35);
    if (records.length === 0) break;
    t.ok(records.reduce((n, r) => n + r.lines, 0) <= 35);
    seqs.push(...records.map((r) => r.seq));
    pos = next;
  }
  t.same(
    seqs,
    Array.from({ length: 100 }, (_, i) => i + 1),
    'every record exactly once',
  );
  spool.release(pos);
  t.ok(spool.segmentCount <= 1, 'forwarded segments released');
});

t.test('at its byte bound the oldest segment is dropped and counted', async (t) => {
  const dir = scratchDir(t);
  const spool = new Spool(opts(dir, { maxBytes: 64 * 1024, segmentBytes: 8 * 1024 }));
  spool.recover(() => {});
  const dropped: number[] = [];
  spool.onDrop((s) => dropped.push(s));
  for (let i = 0; i < 400; i++) await spool.append('a', i + 1, 1, `m f=${i} 1\n`.padEnd(400, ' '));
  t.ok(spool.bytes <= 64 * 1024, `bounded at ${spool.bytes}`);
  t.ok(spool.droppedLines > 0 && dropped.length > 0, `${spool.droppedLines} lines dropped, counted`);
});
