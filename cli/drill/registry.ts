/** Every drill, by name, in the order `--list` and `floorwatch drill all` run them. */
import type { Drill } from './drill.js';
import { bondFailover } from './drills/bond-failover.js';
import { killPrimaryBrain, stallPrimaryBrain } from './drills/brain-pair.js';
import { colourDark } from './drills/colour-dark.js';
import { dirtyFlushStorm } from './drills/dirty-flush-storm.js';
import { fixGap, fixLogout, fixSlowdown } from './drills/fix.js';
import { influxAway } from './drills/influx-away.js';
import { killBothFh } from './drills/kill-both-fh.js';
import { killPrimaryFh } from './drills/kill-primary-fh.js';
import { logErrorBurst } from './drills/log-error-burst.js';
import { nicDown } from './drills/nic-down.js';

export const DRILLS: readonly Drill[] = [
  killPrimaryFh,
  killBothFh,
  nicDown,
  bondFailover,
  dirtyFlushStorm,
  logErrorBurst,
  fixSlowdown,
  fixLogout,
  fixGap,
  colourDark,
  influxAway,
  killPrimaryBrain,
  stallPrimaryBrain,
];

export function drillNamed(name: string): Drill | undefined {
  return DRILLS.find((d) => d.name === name);
}
