import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBondState } from '../../demo/fixture-host.js';
import { hasAlert, needsDemo, type Drill } from '../drill.js';

/**
 * The active slave of the fixture host's bond loses its link and the bond fails over to the
 * other (staged in the fixture /sys tree: this kernel has no bonding). Restoring brings the
 * link back; the bond stays on the new slave, as an active-backup bond without a primary does.
 */
export const bondFailover: Drill = {
  name: 'bond-failover',
  what: "the fixture host's bond0 loses its active slave and fails over (fixture /sys tree)",
  expected: {
    describe: 'bond0 failed over on the fixture host, major',
    matches: hasAlert('BondFailover'),
  },
  unavailable: needsDemo('its fixture host'),
  async inject(ctx) {
    const f = ctx.demo!.fixtureHost;
    const active = readFileSync(join(f.sysRoot, 'class/net', f.bond, 'bonding/active_slave'), 'utf8').trim();
    const other = f.slaves.find((s) => s !== active)!;
    writeBondState(f.sysRoot, { active: other, down: [active] });
    ctx.step(`${active} link lost; ${f.bond} active slave now ${other}`);
    return async () => writeBondState(f.sysRoot, { active: other, down: [] });
  },
};
