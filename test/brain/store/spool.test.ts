import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spool } from '../../../brain/store/spool.js';
import { encodeSpoolRecord, spoolRecordSize } from '../../../brain/store/spool-record.js';
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

t.test(
  'records encoded elsewhere (the ingest worker) and appended as one block are the same bytes as appends, read back and recovered once each',
  async (t) => {
    const batches = Array.from({ length: 50 }, (_, i) => ({
      agent: `ws-${i % 4}`,
      seq: Math.floor(i / 4) + 1,
      text: `m f=${i} 1\nm g=${i} 1\n`,
    }));
    // The same records through append, one by one.
    const appendedDir = scratchDir(t);
    const appended = new Spool(opts(appendedDir));
    appended.recover(() => {});
    await Promise.all(batches.map((b) => appended.append(b.agent, b.seq, 2, b.text)));
    // And encoded into one block, as the worker does, in two flushes.
    const encodedDir = scratchDir(t);
    const encoded = new Spool(opts(encodedDir));
    encoded.recover(() => {});
    const block = (part: typeof batches) => {
      const buf = Buffer.alloc(part.reduce((n, b) => n + spoolRecordSize(b.agent, Buffer.byteLength(b.text)), 0));
      let at = 0;
      for (const b of part) at = encodeSpoolRecord(buf, at, b.agent, b.seq, 2, Buffer.from(b.text));
      t.equal(at, buf.length, 'spoolRecordSize is what encodeSpoolRecord takes');
      return buf;
    };
    let durable = 0;
    const first = encoded.appendEncoded(block(batches.slice(0, 20)), 40).then(() => durable++);
    t.equal(durable, 0, 'not durable before the write');
    await Promise.all([first, encoded.appendEncoded(block(batches.slice(20)), 60).then(() => durable++)]);
    t.equal(durable, 2, 'each block resolves once durable');
    t.equal(encoded.appendedLines, 100, 'its lines are counted');
    const segments = (dir: string) =>
      Buffer.concat(
        readdirSync(join(dir))
          .filter((f) => f.endsWith('.seg'))
          .sort()
          .map((f) => readFileSync(join(dir, f))),
      );
    t.ok(segments(encodedDir).equals(segments(appendedDir)), 'the segments hold the same bytes as one append per batch');
    const read = encoded.read({ segment: 0, offset: 0 }, 1_000_000).records;
    t.same(
      read.map((r) => `${r.agentId}#${r.seq}`),
      batches.map((b) => `${b.agent}#${b.seq}`),
      'read back in order, each once',
    );
    const seen: string[] = [];
    new Spool(opts(encodedDir)).recover((r) => seen.push(`${r.agentId}#${r.seq}:${r.payload.toString()}`));
    t.same(
      seen,
      batches.map((b) => `${b.agent}#${b.seq}:${b.text}`),
      'a restart recovers every record once, agent, seq and lines intact',
    );
  },
);
