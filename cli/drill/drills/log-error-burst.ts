import { appendFileSync } from 'node:fs';
import { hasAlert, needsDemo, poll, type Drill, type DrillContext } from '../drill.js';

const LINES = 30;

/** A burst of ERROR lines in a log the fixture host's agent tails. */
export const logErrorBurst: Drill = {
  name: 'log-error-burst',
  what: `append ${LINES} [ERROR] lines to the demo's watched application log`,
  expected: {
    describe: 'LogErrors on the fixture host (error lines counted), minor',
    matches: hasAlert('LogErrors'),
  },
  unavailable: needsDemo('its watched logs'),
  async inject(ctx) {
    const file = ctx.demo!.logs.app;
    await primeCounter(ctx, file);
    const stamp = new Date().toISOString();
    const lines = Array.from(
      { length: LINES },
      (_, i) => `${stamp} [ERROR] pricer: drill error ${i + 1} of ${LINES}: quote cache refresh failed\n`,
    );
    appendFileSync(file, lines.join(''));
    ctx.step(`${LINES} error lines appended to ${file}`);
    // Nothing to undo: the lines age out of the rule's window.
    return async () => undefined;
  },
};

/**
 * The brain counts errors as the increase of the agent's per-file match counter, and a counter's
 * first sample has nothing to increase from: the first error a file ever shows is the baseline.
 * So the drill makes sure the brain has that baseline before the burst.
 */
async function primeCounter(ctx: DrillContext, file: string): Promise<void> {
  const known = async () =>
    (await ctx.brain.series('log_rule', 'matches')).some((s) => s.tags['file'] === file && s.tags['level'] === 'ERROR') ? true : undefined;
  if (await known()) return;
  appendFileSync(file, `${new Date().toISOString()} [ERROR] drill: baseline line before the error burst\n`);
  if (!(await poll(15_000, known, 100))) throw new Error(`the brain never saw the error counter of ${file}`);
  ctx.step('error counter baseline seen by the brain');
}
