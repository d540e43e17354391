import type { Drill, DrillContext } from '../drill.js';
import { poll } from '../drill.js';
import { postJson } from '../brain-api.js';

/**
 * The demo's InfluxDB stops. The brain opens one StoreUnavailable incident (rules/brain.yaml),
 * keeps acknowledging agents from its fsync'ed spool and forwards the backlog when InfluxDB is
 * back: nothing lost, which the drill checks on the spool's counters.
 */
const BACKLOG_LINES = 3000;

export const influxAway: Drill = {
  name: 'influx-away',
  what: "stop the demo's influxd for a while, start it again: the brain buffers, then catches up",
  expected: {
    describe: 'time-series store <influx> not accepting writes; brain spooling, major',
    matches: (inc) => /^time-series store .* not accepting writes/.test(inc.title),
  },
  unavailable: (ctx) => (!ctx.demo ? 'needs a running `floorwatch demo`' : !ctx.demo.influxd ? 'the demo runs without influxd' : undefined),
  async inject(ctx) {
    await postJson(`${ctx.demo!.demoUrl}/api/demo/influxd/stop`);
    ctx.step('influxd stopped');
    await waitStore(ctx, (s) => s.up === false, 'the brain to see the store down');
    // Held until a few seconds of the floor's samples wait in the spool, as after a real outage.
    await waitStore(
      ctx,
      (s) => (s.spool_appended_lines ?? 0) - (s.forwarded_lines ?? 0) >= BACKLOG_LINES,
      `${BACKLOG_LINES} lines waiting in the spool`,
    );
    const held = await ctx.brain.store();
    ctx.step(`brain buffering: ${(held.spool_appended_lines ?? 0) - (held.forwarded_lines ?? 0)} lines in its spool`);
    return async () => {
      await postJson(`${ctx.demo!.demoUrl}/api/demo/influxd/start`);
      ctx.step('influxd started');
      // Agents keep streaming: caught up means everything spooled until now has been forwarded.
      const spooled = (await ctx.brain.store()).spool_appended_lines ?? 0;
      const caughtUp = await waitStore(ctx, (s) => s.up === true && (s.forwarded_lines ?? 0) >= spooled, 'the backlog forwarded');
      if ((caughtUp.spool_dropped_lines ?? 0) > 0 || (caughtUp.rejected_lines ?? 0) > 0) {
        throw new Error(`lines lost: ${caughtUp.spool_dropped_lines} dropped, ${caughtUp.rejected_lines} rejected`);
      }
      ctx.step(`backlog forwarded (${spooled} lines spooled in all, ${caughtUp.forwarded_lines} forwarded), 0 dropped, 0 rejected`);
    };
  },
};

async function waitStore(ctx: DrillContext, ok: (s: Awaited<ReturnType<DrillContext['brain']['store']>>) => boolean, what: string) {
  const s = await poll(
    60_000,
    async () => {
      const store = await ctx.brain.store();
      return ok(store) ? store : undefined;
    },
    100,
  );
  if (!s) throw new Error(`timed out waiting for ${what}`);
  return s;
}
