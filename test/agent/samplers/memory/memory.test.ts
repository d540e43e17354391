import { execFile } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { FakeClock, systemClock } from '../../../../lib/clock.js';
import { waitFor } from '../../../helpers/wait.js';
import { RecordingEmit } from '../recording-emit.js';
import { fixtures, memorySampler } from './helpers.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

t.test('captured /proc: memory gauges in bytes, vm settings, counters with rates; loop and zram left out', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fw-mem-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(fixtures, root, { recursive: true });
  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const clock = new FakeClock(0);
  const sampler = memorySampler(clock, roots);
  t.teardown(() => sampler.close());
  const emit = new RecordingEmit();
  sampler.sample(emit);
  t.same(emit.errors, []);
  t.equal(emit.last('memory', 'dirty_bytes')?.value, 416 * 1024);
  t.equal(emit.last('memory', 'mem_available_bytes')?.value, 24294284 * 1024);
  t.equal(emit.last('memory', 'nr_dirty')?.value, 104);
  t.equal(emit.last('memory', 'nr_dirtied')?.type, 'counter');
  t.equal(emit.last('memory', 'dirty_threshold_bytes')?.value, 1216933 * 4096);
  t.equal(emit.last('memory', 'vm_dirty_ratio')?.value, 20);
  t.equal(emit.last('memory', 'vm_dirty_expire_centisecs')?.value, 3000);
  t.same([...new Set(emit.series('disk', 'write_bytes').map((v) => v.tags['device']))], ['vda']);

  const diskstats = join(roots.procRoot, 'diskstats');
  writeFileSync(diskstats, readFileSync(diskstats, 'latin1').replace(' 1876312 ', ` ${1876312 + 2048 * 100} `));
  writeFileSync(
    join(roots.procRoot, 'vmstat'),
    readFileSync(join(roots.procRoot, 'vmstat'), 'latin1').replace('nr_written 234220\n', 'nr_written 234720\n'),
  );
  clock.advance(250);
  sampler.sample(emit);
  t.equal(emit.last('disk', 'write_bytes_per_s', { device: 'vda' })?.value, 400 * MB, '100 MiB in 250 ms');
  t.equal(emit.last('disk', 'write_ops_per_s', { device: 'vda' })?.value, 0);
  t.equal(emit.last('memory', 'nr_written_per_s')?.value, 2000);
  t.equal(emit.last('memory', 'written_bytes_per_s')?.value, 2000 * 4096);
});

t.test('partitions are left out unless asked for; include/exclude globs apply', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fw-mem-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const line = (maj: number, min: number, dev: string): string => `${maj} ${min} ${dev} 1 0 8 0 2 0 16 0 0 0 0 0 0 0 0 0 0\n`;
  cpSync(join(fixtures, 'proc'), join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/diskstats'), line(8, 0, 'sda') + line(8, 1, 'sda1') + line(259, 0, 'nvme0n1') + line(259, 1, 'nvme0n1p1'));
  for (const d of ['sda', 'nvme0n1']) cpSync(join(fixtures, 'sys/block/vda'), join(root, 'sys/block', d), { recursive: true });
  const roots = { procRoot: join(root, 'proc'), sysRoot: join(root, 'sys') };
  const devices = (yaml: string): string[] => {
    const emit = new RecordingEmit();
    memorySampler(new FakeClock(0), roots, yaml).sample(emit);
    return [...new Set(emit.series('disk', 'write_ops').map((v) => v.tags['device'] ?? ''))];
  };
  t.same(devices(''), ['sda', 'nvme0n1']);
  t.same(devices('disks: {partitions: true}'), ['sda', 'sda1', 'nvme0n1', 'nvme0n1p1']);
  t.same(devices('disks: {include: ["nvme*"]}'), ['nvme0n1']);
});

/** The whole disk (as named in diskstats) under a path, or undefined on tmpfs/overlay. */
function diskUnder(path: string): string | undefined {
  const dev = statSync(path).dev;
  const major = Number((BigInt(dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n));
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(sys)) return undefined;
  const real = realpathSync(sys);
  return existsSync(join(real, 'partition')) ? basename(dirname(real)) : basename(real);
}

t.test('300 MB written without fsync: Dirty rises, then (drain forced by `sync FILE`) disk writes rise and Dirty falls', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-dirty-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const device = diskUnder(dir);
  const sampler = memorySampler(systemClock, { procRoot: '/proc', sysRoot: '/sys' }, 'disks: {partitions: true}');
  t.teardown(() => sampler.close());
  const emit = new RecordingEmit();
  sampler.sample(emit);
  const ticker = systemClock.setInterval(() => sampler.sample(emit), 200);
  t.teardown(() => ticker.cancel());
  const dirty = (): number => emit.last('memory', 'dirty_bytes')?.value ?? 0;
  const baseline = dirty();

  const file = join(dir, 'burst.bin');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(8 * MB, 0x5a);
  for (let i = 0; i < 300 / 8; i++) writeSync(fd, chunk);
  closeSync(fd);
  const peak = await waitFor('Dirty up by 200 MB', () => (dirty() > baseline + 200 * MB ? dirty() : undefined), {
    timeoutMs: 5000,
  });
  t.ok(peak > baseline + 200 * MB, `Dirty ${(baseline / MB).toFixed(0)} → ${(peak / MB).toFixed(0)} MB`);

  const syncStartUs = systemClock.nowUs();
  await run('sync', [file]);
  await waitFor('Dirty drained', () => dirty() < peak - 200 * MB, { timeoutMs: 10_000 });
  t.pass(`Dirty back to ${(dirty() / MB).toFixed(0)} MB after sync`);

  if (!device) {
    t.comment(`SKIP disk half: ${dir} is not on a block device in /proc/diskstats (tmpfs/overlay)`);
    return;
  }
  const burst = await waitFor(`${device} write rate sample after the sync`, () => {
    const rates = emit.series('disk', 'write_bytes_per_s', { device }).filter((v) => (v.timeUs ?? 0) >= syncStartUs);
    const best = Math.max(0, ...rates.map((v) => v.value));
    return best > 20 * MB ? best : undefined;
  });
  t.comment(`peak ${device} write throughput after sync: ${(burst / MB).toFixed(0)} MB/s`);
  t.ok(burst > 20 * MB, `${device} write rate rose to ${(burst / MB).toFixed(0)} MB/s as Dirty drained`);
  t.same(emit.errors, []);
});
