import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FakeClock } from '../../../../lib/clock.js';
import { parseProcBonding } from '../../../../agent/samplers/nic/bond.js';
import { RecordingEmit } from '../recording-emit.js';
import { fixtures, nicSampler, put, tempTree } from './helpers.js';

const bondText = (name: string): string => readFileSync(join(fixtures, 'proc-net-bonding', name), 'latin1');

t.test('parses an active-backup bond in the kernel format', async (t) => {
  t.same(parseProcBonding(bondText('bond0-active-backup')), {
    mode: 'fault-tolerance (active-backup)',
    activeSlave: 'eth0',
    miiUp: true,
    slaves: [
      { name: 'eth0', miiStatus: 'up', linkFailures: 0 },
      { name: 'eth1', miiStatus: 'up', linkFailures: 2 },
    ],
  });
});

t.test('parses an 802.3ad bond: no active slave, LACP detail lines ignored, "going down" kept', async (t) => {
  const state = parseProcBonding(bondText('bond1-802.3ad'));
  t.equal(state.mode, 'IEEE 802.3ad Dynamic link aggregation');
  t.equal(state.activeSlave, null);
  t.same(state.slaves, [
    { name: 'ens1f0', miiStatus: 'up', linkFailures: 1 },
    { name: 'ens1f1', miiStatus: 'going down', linkFailures: 3 },
  ]);
});

t.test('refuses text that is not a bonding file (empty read, wrong file)', async (t) => {
  t.throws(() => parseProcBonding(''), /Bonding Mode/);
  t.throws(() => parseProcBonding('MemTotal: 1 kB\n'), /Bonding Mode/);
});

/** A bond0 over eth0/eth1 in procfs and sysfs, eth0 active, as the kernel lays it out. */
function bondTree(root: string, active: 'eth0' | 'eth1', eth0Mii: 'up' | 'down', withProc = true): void {
  const proc = bondText('bond0-active-backup')
    .replace('Currently Active Slave: eth0', `Currently Active Slave: ${active}`)
    .replace(/(Slave Interface: eth0\nMII Status: )up/, `$1${eth0Mii}`)
    .replace(/(Slave Interface: eth0\n(?:.*\n){3}Link Failure Count: )0/, `$1${eth0Mii === 'down' ? 1 : 0}`);
  if (withProc) put(root, 'proc/net/bonding/bond0', proc);
  put(root, 'sys/class/net/bonding_masters', 'bond0\n');
  put(root, 'sys/class/net/bond0/bonding/mode', 'active-backup 1\n');
  put(root, 'sys/class/net/bond0/bonding/active_slave', `${active}\n`);
  put(root, 'sys/class/net/bond0/bonding/slaves', 'eth0 eth1\n');
  put(root, 'sys/class/net/bond0/bonding/mii_status', 'up\n');
  for (const nic of ['bond0', 'eth0', 'eth1']) {
    const down = nic === 'eth0' && eth0Mii === 'down';
    put(root, `sys/class/net/${nic}/operstate`, down ? 'down\n' : 'up\n');
    put(root, `sys/class/net/${nic}/carrier`, down ? '0\n' : '1\n');
  }
  put(root, 'sys/class/net/eth0/bonding_slave/mii_status', `${eth0Mii}\n`);
  put(root, 'sys/class/net/eth0/bonding_slave/link_failure_count', eth0Mii === 'down' ? '1\n' : '0\n');
  put(root, 'sys/class/net/eth1/bonding_slave/mii_status', 'up\n');
  put(root, 'sys/class/net/eth1/bonding_slave/link_failure_count', '2\n');
}

for (const source of ['procfs', 'sysfs only'] as const) {
  t.test(`${source}: active slave goes down, eth1 takes over: bond.failover naming eth1 at the next watch tick`, async (t) => {
    const tree = tempTree('fw-bond-');
    t.teardown(tree.cleanup);
    const roots = { procRoot: join(tree.root, 'proc'), sysRoot: join(tree.root, 'sys') };
    bondTree(tree.root, 'eth0', 'up', source === 'procfs');
    const clock = new FakeClock(0);
    const sampler = nicSampler(clock, roots);
    const emit = new RecordingEmit();
    sampler.sample(emit);
    t.equal(emit.last('bond', 'slaves_up', { bond: 'bond0' })?.value, 2);
    sampler.start(emit);
    t.teardown(() => sampler.stop());
    clock.advance(100);
    t.same(emit.events, []);

    bondTree(tree.root, 'eth1', 'down', source === 'procfs');
    clock.advance(50);
    const failover = emit.events.find((e) => e.kind === 'bond.failover');
    t.match(failover, { tags: { bond: 'bond0' }, attrs: { from: 'eth0', to: 'eth1' }, severity: 3 });
    t.match(
      emit.events.find((e) => e.kind === 'bond.slave'),
      { tags: { bond: 'bond0', slave: 'eth0' }, attrs: { state: 'down', mii_status: 'down' }, severity: 3 },
    );
    t.match(
      emit.events.find((e) => e.kind === 'nic.link'),
      { tags: { interface: 'eth0' }, attrs: { state: 'down' } },
    );
    t.equal(emit.events.length, 3, 'one event per fact');

    clock.advance(500);
    t.equal(emit.events.length, 3, 'no repeats while nothing changes');
    sampler.sample(emit);
    const bond0 = { bond: 'bond0' };
    t.equal(emit.last('bond', 'slaves_total', bond0)?.value, 2);
    t.equal(emit.last('bond', 'slaves_up', bond0)?.value, 1);
    t.equal(emit.last('bond', 'active_slave_changes', bond0)?.value, 1);
    t.equal(emit.last('bond', 'link_failures', bond0)?.value, 3);
    t.equal(emit.last('bond_slave', 'active', { bond: 'bond0', slave: 'eth1' })?.value, 1);
    t.equal(emit.last('bond_slave', 'mii_up', { bond: 'bond0', slave: 'eth0' })?.value, 0);
    t.same(emit.errors, []);
  });
}

t.test('losing the last slave is a failover to "none" at CRITICAL', async (t) => {
  const tree = tempTree('fw-bond-');
  t.teardown(tree.cleanup);
  const roots = { procRoot: join(tree.root, 'proc'), sysRoot: join(tree.root, 'sys') };
  bondTree(tree.root, 'eth0', 'up');
  const clock = new FakeClock(0);
  const sampler = nicSampler(clock, roots);
  const emit = new RecordingEmit();
  sampler.start(emit);
  t.teardown(() => sampler.stop());
  put(tree.root, 'proc/net/bonding/bond0', bondText('bond0-active-backup').replace('Active Slave: eth0', 'Active Slave: None'));
  clock.advance(50);
  t.match(
    emit.events.find((e) => e.kind === 'bond.failover'),
    { attrs: { from: 'eth0', to: 'none' }, severity: 4 },
  );
});
