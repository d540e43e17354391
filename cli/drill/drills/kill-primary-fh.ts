import type { Drill } from '../drill.js';
import { signal } from '../processes.js';
import { pairMembers, pidsOf, waitComponentsBack } from './plant.js';

/** SIGKILL the primary feed handler; the secondary takes over; its wrapper restarts it. */
export const killPrimaryFh: Drill = {
  name: 'kill-primary-fh',
  what: 'kill -9 the primary feed handler (the pair fails over; the wrapper restarts it)',
  expected: {
    describe: 'feed handler <primary> exited (signal 9), major',
    matches: (inc) => /^feed handler \S+ exited \(signal 9\)$/.test(inc.title),
  },
  async inject(ctx) {
    const [primary] = await pairMembers(ctx.brain, 'fh');
    const within = ctx.demo?.stateDir;
    signal(pidsOf(primary!, within), 'SIGKILL');
    ctx.step(`kill -9 ${primary}`);
    const killedAt = Date.now();
    return () => waitComponentsBack(ctx.brain, [primary!], killedAt, within);
  },
};
