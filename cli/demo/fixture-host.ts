/**
 * The demo's fixture host: an agent whose samplers read a /proc and /sys tree the demo writes,
 * so drills can stage what this machine cannot do for real (a bonded NIC failing over: this
 * kernel has no bonding; a dirty-memory flush storm without thrashing the shared disk).
 * The memory files start as copies of this host's own; the bond is bond0 over eth0/eth1.
 * Files are rewritten in place, never replaced: the samplers keep them open and pread them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const FIXTURE_BOND = 'bond0';
export const FIXTURE_SLAVES = ['eth0', 'eth1'] as const;
const VM_SETTINGS = [
  'dirty_ratio',
  'dirty_background_ratio',
  'dirty_bytes',
  'dirty_background_bytes',
  'dirty_expire_centisecs',
  'dirty_writeback_centisecs',
];

function put(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function writeFixtureHost(root: string): { procRoot: string; sysRoot: string } {
  const procRoot = join(root, 'proc');
  const sysRoot = join(root, 'sys');
  mkdirSync(join(procRoot, 'sys/vm'), { recursive: true });
  // Read and written, not copied: /proc files report size 0, and a copy of them is empty.
  const copy = (from: string, to: string) => writeFileSync(to, readFileSync(from));
  for (const f of ['meminfo', 'vmstat', 'diskstats']) copy(join('/proc', f), join(procRoot, f));
  for (const s of VM_SETTINGS) if (existsSync(join('/proc/sys/vm', s))) copy(join('/proc/sys/vm', s), join(procRoot, 'sys/vm', s));
  for (const disk of readdirSync('/sys/block')) {
    if (existsSync(join('/sys/block', disk, 'dev'))) put(join(sysRoot, 'block', disk, 'dev'), '0:0\n');
  }
  writeBondState(sysRoot, { active: FIXTURE_SLAVES[0], down: [] });
  return { procRoot, sysRoot };
}

/**
 * bond0 in active-backup mode as the kernel shows it in sysfs. A slave in `down` has lost its
 * link (MII down, one more link failure); the active slave is the one traffic uses now.
 */
export function writeBondState(sysRoot: string, state: { active: string | null; down: readonly string[]; failures?: number }): void {
  const net = join(sysRoot, 'class/net');
  put(join(net, 'bonding_masters'), `${FIXTURE_BOND}\n`);
  put(join(net, FIXTURE_BOND, 'bonding/mode'), 'active-backup 1\n');
  put(join(net, FIXTURE_BOND, 'bonding/active_slave'), `${state.active ?? ''}\n`);
  put(join(net, FIXTURE_BOND, 'bonding/slaves'), `${FIXTURE_SLAVES.join(' ')}\n`);
  put(join(net, FIXTURE_BOND, 'bonding/mii_status'), state.active ? 'up\n' : 'down\n');
  put(join(net, FIXTURE_BOND, 'operstate'), state.active ? 'up\n' : 'down\n');
  put(join(net, FIXTURE_BOND, 'carrier'), state.active ? '1\n' : '0\n');
  for (const slave of FIXTURE_SLAVES) {
    const down = state.down.includes(slave);
    put(join(net, slave, 'operstate'), down ? 'down\n' : 'up\n');
    put(join(net, slave, 'carrier'), down ? '0\n' : '1\n');
    put(join(net, slave, 'bonding_slave/mii_status'), down ? 'down\n' : 'up\n');
    put(join(net, slave, 'bonding_slave/link_failure_count'), `${down ? (state.failures ?? 1) : 0}\n`);
  }
}
