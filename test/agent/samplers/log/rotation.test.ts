import t from 'tap';
import { join } from 'node:path';
import { LogSampler } from '../../../../agent/samplers/log/log.js';
import { waitWhileProgressing } from '../../../helpers/wait.js';
import { deps, logConfig, seqRule } from './config-helper.js';
import {
  RecordingEmit,
  duplicates,
  gaps,
  idRanges,
  logrotate,
  percentile,
  rotateConf,
  seqsOnDisk,
  startWriter,
  tempDir,
} from './helpers.js';

const RATE = 5000;

t.test(
  'every line is seen exactly once through create, copytruncate and compress+delaycompress rotations and an agent restart',
  async (t) => {
    const dir = tempDir('rot');
    const log = join(dir, 'app.log');
    const stateDir = join(dir, 'state');
    const writer = await startWriter(log, RATE);
    t.teardown(() => void writer.child.kill('SIGKILL'));
    const cfg = logConfig({ files: [join(dir, '*.log')], startAt: 'beginning', rotateGraceMs: 500, rules: [seqRule] });
    const emits: RecordingEmit[] = [];
    const seen = (): number[] => emits.flatMap((e) => e.values('seq'));
    // Deadlines follow progress: a slow machine makes this slow, never red.
    const grow = async (what: string, n: number): Promise<void> => {
      const target = seen().length + n;
      await waitWhileProgressing(
        what,
        () => seen().length >= target,
        () => seen().length,
        { detail: () => `seen ${seen().length} of ${target}` },
      );
    };

    let sampler = new LogSampler(cfg, deps(stateDir));
    emits.push(new RecordingEmit());
    await sampler.start(emits[0]!);
    await grow('first lines', 2000);

    await logrotate(dir, rotateConf(log, ['create'], writer.child.pid));
    await grow('lines after rename+create', 3000);

    await sampler.stop(); // agent restart, with a copytruncate while it is down
    await logrotate(dir, rotateConf(log, ['copytruncate']));
    sampler = new LogSampler(cfg, deps(stateDir));
    emits.push(new RecordingEmit());
    await sampler.start(emits[1]!);
    await grow('lines after restart and copytruncate', 3000);

    for (let i = 0; i < 2; i++) {
      await logrotate(dir, rotateConf(log, ['create', 'compress', 'delaycompress'], writer.child.pid));
      await grow(`lines after compress+delaycompress rotation ${i + 1}`, 3000);
    }
    await logrotate(dir, rotateConf(log, ['copytruncate']));
    await grow('lines after a live copytruncate', 3000);

    const last = await writer.stop();
    const onDisk = seqsOnDisk(dir, 'app.log');
    const unseen = () => {
      const seenNow = new Set(seen());
      return [...onDisk].filter((s) => !seenNow.has(s));
    };
    await waitWhileProgressing(
      'every line on disk seen',
      () => unseen().length === 0,
      () => seen().length,
      { detail: () => `missing ${idRanges(unseen())}` },
    ).catch(
      (err: Error) => t.fail(err.message), // reported with the doubled lines below
    );
    await sampler.stop();

    const all = seen();
    const seenSet = new Set(all);
    const doubled = duplicates(all);
    t.equal(doubled.length, 0, `no line is delivered twice (doubled: ${idRanges(doubled)})`);
    t.equal(unseen().length, 0, `every line on disk was seen (missing: ${idRanges(unseen())})`);
    const missing = gaps(seenSet, last);
    // copytruncate loses, on disk, what is written between logrotate's copy and its truncate.
    const lostOnDisk = gaps(onDisk, last);
    t.ok(missing.length <= 2, `missing ranges only at the two copytruncates: ${JSON.stringify(missing)}`);
    t.ok(
      missing.every(([a, b]) => lostOnDisk.some(([c, d]) => a >= c && b <= d)),
      'every missing line is one copytruncate never put on disk',
    );
    t.same(
      emits.flatMap((e) => e.errors),
      [],
      'no sampler errors',
    );

    const latency = emits[0]!.gauges.filter((g) => g.field === 'seq').map((g) => (g.atUs - g.timeUs!) / 1000);
    t.comment(
      `lines ${last}, seen ${seenSet.size}, lost on disk by copytruncate ${last - onDisk.size}; ` +
        `tail latency ms p50 ${percentile(latency, 50).toFixed(1)} p99 ${percentile(latency, 99).toFixed(1)} max ${percentile(latency, 100).toFixed(1)}`,
    );
  },
);

t.test('lines rotated away while the agent was down across three compress+delaycompress rotations are read in order', async (t) => {
  const dir = tempDir('down');
  const log = join(dir, 'app.log');
  const stateDir = join(dir, 'state');
  const writer = await startWriter(log, RATE);
  t.teardown(() => void writer.child.kill('SIGKILL'));
  const cfg = logConfig({ files: [log], startAt: 'beginning', rotateGraceMs: 300, rules: [seqRule] });
  const emits = [new RecordingEmit(), new RecordingEmit()];
  const seen = (): number[] => emits.flatMap((e) => e.values('seq'));

  const first = new LogSampler(cfg, deps(stateDir));
  await first.start(emits[0]!);
  await waitWhileProgressing(
    'first lines',
    () => seen().length >= 2000,
    () => seen().length,
  );
  await first.stop();

  const conf = rotateConf(log, ['create', 'compress', 'delaycompress'], writer.child.pid);
  for (let i = 0; i < 3; i++) {
    const before = seqsOnDisk(dir, 'app.log').size;
    const written = () => seqsOnDisk(dir, 'app.log').size;
    await waitWhileProgressing('writer progress between rotations', () => written() >= before + 2000, written);
    await logrotate(dir, conf);
  }
  const second = new LogSampler(cfg, deps(stateDir));
  await second.start(emits[1]!);
  const last = await writer.stop();
  const missing = () => gaps(new Set(seen()), last).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  await waitWhileProgressing(
    'every written line seen',
    () => seen().length >= last,
    () => seen().length,
    { detail: () => `missing ${missing().join(', ')}` },
  ).catch((err: Error) => t.fail(err.message));
  await second.stop();

  const all = seen();
  const doubled = duplicates(all);
  t.equal(doubled.length, 0, `no duplicates (doubled: ${idRanges(doubled)})`);
  t.same(missing(), [], 'no gaps');
  t.ok(
    all.every((v, i) => i === 0 || v > all[i - 1]!),
    'read in order, oldest generation first',
  );
  t.ok(seqsOnDisk(dir, 'app.log.2.gz').size > 0, 'a compressed generation was part of the catch-up');
});
