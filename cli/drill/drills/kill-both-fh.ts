import type { Drill } from '../drill.js';
import { signal } from '../processes.js';
import { pairMembers, pidsOf, waitComponentsBack } from './plant.js';

/** SIGKILL both feed handlers at once: no leg left; the wrappers restart both. */
export const killBothFh: Drill = {
  name: 'kill-both-fh',
  what: 'kill -9 both feed handlers (the pair is down; the wrappers restart them)',
  expected: {
    describe: 'both feed handlers down, critical',
    matches: (inc) => inc.severity === 'critical' && inc.causeKeys.some((k) => /fh/.test(k)),
  },
  async inject(ctx) {
    const members = await pairMembers(ctx.brain, 'fh');
    const within = ctx.demo?.stateDir;
    signal(
      members.flatMap((m) => pidsOf(m, within)),
      'SIGKILL',
    );
    ctx.step(`kill -9 ${members.join(' and ')}`);
    const killedAt = Date.now();
    return () => waitComponentsBack(ctx.brain, members, killedAt, within);
  },
};
