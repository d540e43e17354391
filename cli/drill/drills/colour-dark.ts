import type { Drill } from '../drill.js';
import { poll } from '../drill.js';
import { agentPids, signal } from '../processes.js';

export const DARK_COLOUR = process.env['FLOORWATCH_DRILL_COLOUR'] ?? 'red';

/**
 * Every workstation of one colour goes dark at once (half the floor's power or switch). The
 * agents are frozen (SIGSTOP), not killed: to the brain a frozen agent and a dead machine are
 * the same silence, and SIGCONT brings the floor back exactly as it was.
 */
export const colourDark: Drill = {
  name: 'colour-dark',
  what: `every ${DARK_COLOUR} workstation goes silent at once (agents frozen; FLOORWATCH_DRILL_COLOUR picks the colour)`,
  expected: {
    describe: `colour ${DARK_COLOUR} dark: one incident for the colour, not one per workstation`,
    matches: (inc) => inc.impact.colour === DARK_COLOUR || inc.causeKeys.includes(`colour:${DARK_COLOUR}`),
  },
  async unavailable(ctx) {
    const ws = (await ctx.brain.agents()).filter((a) => a.labels['role'] === 'workstation' && a.labels['colour'] === DARK_COLOUR);
    if (ws.length === 0) return `the brain knows no ${DARK_COLOUR} workstation`;
    const missing = ws.filter((a) => agentPids(a.id, ctx.demo?.stateDir).length === 0);
    return missing.length ? `${missing.map((a) => a.id).join(', ')} not running as a process on this host` : undefined;
  },
  async inject(ctx) {
    const ws = (await ctx.brain.agents())
      .filter((a) => a.labels['role'] === 'workstation' && a.labels['colour'] === DARK_COLOUR)
      .map((a) => a.id);
    const pids = ws.flatMap((id) => agentPids(id, ctx.demo?.stateDir));
    signal(pids, 'SIGSTOP');
    ctx.step(`froze ${ws.length} ${DARK_COLOUR} workstations (${ws.join(', ')})`);
    return async () => {
      signal(pids, 'SIGCONT');
      const back = await poll(30_000, async () =>
        (await ctx.brain.agents()).filter((a) => ws.includes(a.id)).every((a) => a.connected && a.silent_since_ms === null)
          ? true
          : undefined,
      );
      if (!back) throw new Error(`${ws.join(', ')} not heard again within 30 s`);
    };
  },
};
