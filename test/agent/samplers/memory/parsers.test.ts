import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseDiskstats } from '../../../../agent/samplers/memory/diskstats.js';
import { parseMeminfo } from '../../../../agent/samplers/memory/meminfo.js';
import { parseVmstat, vmstatKeys } from '../../../../agent/samplers/memory/vmstat.js';
import { fixtures } from './helpers.js';

const captured = (name: string): string => readFileSync(join(fixtures, 'proc', name), 'latin1');

t.test('captured meminfo: kB values become bytes, page counts stay counts', async (t) => {
  const m = parseMeminfo(captured('meminfo'), ['MemTotal', 'Dirty', 'Writeback', 'HugePages_Total', 'Active(file)', 'NoSuchKey']);
  t.equal(m.get('MemTotal'), 24684096 * 1024);
  t.equal(m.get('Dirty'), 416 * 1024);
  t.equal(m.get('Writeback'), 0);
  t.equal(m.get('HugePages_Total'), 0, 'no kB suffix: a count');
  t.equal(m.get('Active(file)'), 175036 * 1024, 'parenthesised names keep their key');
  t.notOk(m.has('NoSuchKey'), 'a name the file lacks is absent, not 0');
});

t.test('captured vmstat: only the wanted keys, as numbers', async (t) => {
  const v = parseVmstat(captured('vmstat'), vmstatKeys);
  t.same([...v.keys()].sort(), [...vmstatKeys].sort());
  t.equal(v.get('nr_dirty'), 104);
  t.equal(v.get('nr_dirtied'), 280790);
  t.equal(v.get('nr_dirty_threshold'), 1216933);
});

t.test('captured diskstats: sectors are 512 bytes; every device line parsed', async (t) => {
  const d = parseDiskstats(captured('diskstats'));
  t.equal(d.length, 10);
  t.same(
    d.find((x) => x.device === 'vda'),
    { device: 'vda', readOps: 29171, readBytes: 2062218 * 512, writeOps: 5155, writeBytes: 1876312 * 512, inFlight: 0 },
  );
});

t.test('diskstats of an old kernel (14 fields) and a blank line parse too', async (t) => {
  const d = parseDiskstats('\n   8       0 sda 10 0 80 5 20 0 160 9 0 12 14\n');
  t.same(d, [{ device: 'sda', readOps: 10, readBytes: 80 * 512, writeOps: 20, writeBytes: 160 * 512, inFlight: 0 }]);
});
