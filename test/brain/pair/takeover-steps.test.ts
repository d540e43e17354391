/**
 * A take-over's start steps yield to the event loop between them (issue #16): a timer due during
 * a step (the role node's lease renewal) runs before the next step, so the loop is never held
 * longer than the longest single step. Real event loop; each step busy for 120 ms of wall time.
 */
import t from 'tap';
import { systemClock } from '../../../lib/clock.js';
import { TakeoverSteps } from '../../../brain/pair/takeover-steps.js';
import { threadSchedTimes } from '../../../brain/state/loop-watch.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

t.test('timers run between steps; each step is measured', async (t) => {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const steps = new TakeoverSteps({ clock: systemClock, sched: threadSchedTimes, histogram });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const ticksBefore: number[] = [];
  for (const name of ['a', 'b', 'c', 'd']) await steps.run(name, () => (ticksBefore.push(ticks), busy(120)));
  clearInterval(timer);
  const r = await steps.finish(0);
  histogram.disable();
  for (let i = 1; i < ticksBefore.length; i++)
    t.ok(ticksBefore[i]! > ticksBefore[i - 1]!, `the 20 ms timer ran between step ${i} and step ${i + 1}: ${JSON.stringify(ticksBefore)}`);
  t.same(
    r.steps.map((s) => s.name),
    ['a', 'b', 'c', 'd'],
  );
  t.ok(
    r.steps.every((s) => s.wallMs >= 120),
    `each step's time on the loop: ${JSON.stringify(r.steps)}`,
  );
  // No upper bound on the loop's delay: on a busy box the process may be descheduled longer than a step.
  t.ok(r.longestBlockMs >= 120, `the longest block covers a step: ${r.longestBlockMs} ms`);
  if (threadSchedTimes()) t.ok(r.longestStepCpuMs !== undefined && r.longestStepCpuMs > 0, `CPU measured: ${r.longestStepCpuMs} ms`);
});

t.test('a step that throws is still measured, and the error reaches the caller', async (t) => {
  const steps = new TakeoverSteps({ clock: systemClock, histogram: undefined });
  await t.rejects(
    steps.run('bad', () => {
      throw new Error('rules did not load');
    }),
    /rules did not load/,
  );
  t.same(
    (await steps.finish(0)).steps.map((s) => s.name),
    ['bad'],
  );
});
