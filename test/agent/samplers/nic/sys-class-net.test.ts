import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SysClassNetInterface, listInterfaces } from '../../../../agent/samplers/nic/sys-class-net.js';
import { fixtures } from './helpers.js';

const captured = join(fixtures, 'sys');

t.test('captured lo: operstate "unknown" with carrier counts as up; missing speed reads -1', async (t) => {
  const lo = new SysClassNetInterface(captured, 'lo');
  t.teardown(() => lo.close());
  t.same(lo.readLink(), { operstate: 'unknown', carrier: 1, up: true });
  const d = lo.readDetails();
  t.equal(d.speedMbps, -1);
  t.equal(d.mtu, 65536);
  t.equal(Object.keys(d.counters).length, 8);
});

t.test('listInterfaces leaves out the bonding_masters file', async (t) => {
  t.same(listInterfaces(captured).sort(), ['eth0', 'lo']);
});

t.test(
  'real admin-down interface (ifb0): carrier and speed answer EINVAL, read as carrier 0 and speed -1',
  { skip: existsSync('/sys/class/net/ifb0') ? false : 'no ifb0 on this machine' },
  async (t) => {
    const ifb = new SysClassNetInterface('/sys', 'ifb0');
    t.teardown(() => ifb.close());
    t.same(ifb.readLink(), { operstate: 'down', carrier: 0, up: false });
    t.equal(ifb.readDetails().speedMbps, -1);
  },
);

t.test('a vanished interface throws ENOENT for the sampler to drop it', async (t) => {
  const gone = new SysClassNetInterface(captured, 'eth9');
  t.throws(() => gone.readLink(), { code: 'ENOENT' });
});
