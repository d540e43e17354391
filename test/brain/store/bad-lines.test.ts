import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { writeIsolatingBadLines, type DeadLetterEntry } from '../../../brain/store/bad-lines.js';
import { DeadLetterFile } from '../../../brain/store/dead-letter-file.js';
import { InfluxV1Sink } from '../../../brain/store/influx-v1.js';
import type { Sink, WriteResult } from '../../../brain/store/sink.js';
import { FakeClock } from '../../../lib/clock.js';
import { influxdAvailable, startInfluxd } from '../../helpers/influxd.js';

/** Refuses a whole body with 400 if any line contains "bad"; goes down after `downAfter` writes. */
class PickySink implements Sink {
  readonly name = 'picky';
  stored: string[] = [];
  writes = 0;
  constructor(private readonly downAfter = Infinity) {}
  async write(body: string): Promise<WriteResult> {
    if (++this.writes > this.downAfter) return { ok: false, retryable: true, error: 'down' };
    const lines = body.split('\n');
    const bad = lines.find((l) => l.includes('bad'));
    if (bad) return { ok: false, retryable: false, status: 400, error: `unable to parse '${bad}'` };
    this.stored.push(...lines);
    return { ok: true };
  }
  async ping() {
    return true;
  }
  async close() {}
}

class MemoryDeadLetter {
  entries: DeadLetterEntry[] = [];
  async record(entries: readonly DeadLetterEntry[]) {
    this.entries.push(...entries);
  }
}

const numbered = (n: number, bad: number[] = []) =>
  Array.from({ length: n }, (_, i) => (bad.includes(i) ? `bad line ${i}` : `m f=${i} ${i}`));

t.test('one bad line among 1000: 999 stored, 1 dead-lettered, few requests', async (t) => {
  const sink = new PickySink();
  const dead = new MemoryDeadLetter();
  const result = await writeIsolatingBadLines(sink, numbered(1000, [617]), dead);
  t.match(result, { written: 999, rejected: 1, pending: [] });
  t.equal(result.failure, undefined);
  t.ok(result.requests <= 2 * Math.ceil(Math.log2(1000)) + 1, `${result.requests} requests`);
  t.same(dead.entries, [{ sink: 'picky', line: 'bad line 617', reason: "unable to parse 'bad line 617'", status: 400 }]);
  t.equal(sink.stored.length, 999);
});

t.test('many bad lines, all found, never more than 2n-1 requests', async (t) => {
  const bad = [0, 1, 2, 50, 51, 99];
  const sink = new PickySink();
  const dead = new MemoryDeadLetter();
  const result = await writeIsolatingBadLines(sink, numbered(100, bad), dead);
  t.match(result, { written: 94, rejected: 6 });
  t.same(
    dead.entries.map((e) => e.line),
    bad.map((i) => `bad line ${i}`),
  );
  const allBad = await writeIsolatingBadLines(new PickySink(), numbered(64, [...Array(64).keys()]), dead);
  t.match(allBad, { written: 0, rejected: 64 });
  t.ok(allBad.requests <= 127);
});

t.test('a known first answer is not asked again', async (t) => {
  const sink = new PickySink();
  const lines = numbered(8, [3]);
  const first = await sink.write(lines.join('\n'));
  const result = await writeIsolatingBadLines(sink, lines, new MemoryDeadLetter(), { firstResult: first });
  t.match(result, { written: 7, rejected: 1 });
  t.equal(sink.writes, 1 + result.requests);
  t.equal(result.requests, 6, 'two halves, then quarters and eighths on the bad side only');
});

t.test('store going away mid-bisection: the rest is pending, in order', async (t) => {
  const sink = new PickySink(3);
  const dead = new MemoryDeadLetter();
  const lines = numbered(16, [1, 12]);
  const result = await writeIsolatingBadLines(sink, lines, dead);
  t.equal(result.failure?.retryable, true);
  t.equal(result.written + result.rejected + result.pending.length, 16, 'every line accounted for');
  t.same(result.pending, lines.slice(16 - result.pending.length), 'pending lines are the tail, in order');
});

t.test('the dead-letter file is bounded, rotates, and counts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-dead-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'dead-letter.jsonl');
  const file = new DeadLetterFile({ path, maxBytes: 1000, maxLineBytes: 50, clock: new FakeClock(0) });
  await file.record([{ sink: 's', line: 'x'.repeat(80), reason: 'too long', status: 400 }]);
  const first = JSON.parse(readFileSync(path, 'utf8').trim()) as Record<string, unknown>;
  t.same(first, { at: '1970-01-01T00:00:00.000Z', sink: 's', line: 'x'.repeat(50) + '…(truncated)', reason: 'too long', status: 400 });
  for (let i = 0; i < 30; i++) await file.record([{ sink: 's', line: `m f=${i}`, reason: 'r' }]);
  t.ok(readFileSync(path).length <= 1000);
  t.ok(readFileSync(path + '.1').length <= 1000);
  t.ok(file.stats.rotations >= 2);
  t.ok(file.stats.discarded > 0, 'entries deleted with the old .1 are counted');
  t.equal(file.stats.recorded, 31);
  t.equal(file.stats.truncated, 1);
  const kept = [path, path + '.1'].map((p) => readFileSync(p, 'utf8').split('\n').length - 1).reduce((a, b) => a + b);
  t.equal(kept + file.stats.discarded, 31, 'kept + discarded = recorded');
});

const influx = await influxdAvailable();
t.test('real influxd 1.x: one bad line among 1,000 spoils nothing else', { skip: influx.ok ? false : influx.reason }, async (t) => {
  const influxd = await startInfluxd();
  t.teardown(() => influxd.stop());
  const dir = mkdtempSync(join(tmpdir(), 'fw-dead-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sink = new InfluxV1Sink({ url: influxd.url, database: influxd.db });
  t.teardown(() => sink.close());
  const dead = new DeadLetterFile({ path: join(dir, 'dead.jsonl') });
  const base = 1795431000000000;

  t.test('an unparsable line', async (t) => {
    const lines = Array.from({ length: 1000 }, (_, i) => `parse,host=h f=${i} ${base + i}`);
    lines[400] = 'parse,host=h f=oops_not_a_value 1';
    const result = await writeIsolatingBadLines(sink, lines, dead);
    t.match(result, { written: 999, rejected: 1, pending: [] });
    t.equal(await influxd.scalar('SELECT count(f) FROM parse'), 999);
    const entry = JSON.parse(readFileSync(dead.path, 'utf8').trim().split('\n').at(-1)!) as DeadLetterEntry;
    t.equal(entry.line, lines[400]);
    t.match(entry.reason, /unable to parse .*oops_not_a_value/);
  });

  t.test('a field type conflict (a partial write in 1.x)', async (t) => {
    const lines = Array.from({ length: 1000 }, (_, i) => `conflict,host=h f=${i} ${base + i}`);
    lines[999] = `conflict,host=h f="a string" ${base + 5000}`;
    const result = await writeIsolatingBadLines(sink, lines, dead);
    t.match(result, { written: 999, rejected: 1, pending: [] });
    t.equal(await influxd.scalar('SELECT count(f) FROM conflict'), 999);
    const entry = JSON.parse(readFileSync(dead.path, 'utf8').trim().split('\n').at(-1)!) as DeadLetterEntry;
    t.equal(entry.line, lines[999]);
    t.match(entry.reason, /field type conflict/);
    t.equal(dead.stats.recorded, 2);
  });
});
