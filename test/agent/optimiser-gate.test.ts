import t from 'tap';
import { getHeapStatistics } from 'node:v8';
import { FakeClock } from '../../lib/clock.js';
import { OptimiserGate, deferOptimisingCompiler } from '../../agent/optimiser-gate.js';

/** Uses about `ms` of CPU. */
function work(ms: number): void {
  const until = process.cpuUsage().user / 1000 + ms;
  while (process.cpuUsage().user / 1000 < until) getHeapStatistics();
}

t.test('the optimising compiler comes back only after sustained work', async (t) => {
  const clock = new FakeClock();
  deferOptimisingCompiler();
  const gate = new OptimiserGate(clock, { busyShare: 0.05, busyIntervals: 3 });
  t.notOk(gate.check(), 'first look: a baseline only');
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    t.notOk(gate.check(), `idle interval ${i + 1}`);
  }
  work(200);
  clock.advance(1000);
  t.notOk(gate.check(), 'one busy interval (20 % of a core) is not enough');
  clock.advance(1000);
  t.notOk(gate.check(), 'an idle one in between starts the count again');
  const turnedOn = [1, 2, 3].map(() => {
    work(100);
    clock.advance(1000);
    return gate.check();
  });
  t.same(turnedOn, [false, false, true], 'the third busy interval in a row turns it on');
  work(100);
  clock.advance(1000);
  t.notOk(gate.check(), 'once on, it stays on: nothing more to do');
});

t.test('a burst known as such (a log backlog) turns it on at once, once', async (t) => {
  const clock = new FakeClock();
  deferOptimisingCompiler();
  const gate = new OptimiserGate(clock);
  t.ok(gate.busyNow(), 'on at the first word of a backlog');
  t.notOk(gate.busyNow(), 'already on');
  clock.advance(1000);
  t.notOk(gate.check(), 'the interval check has nothing left to do');
});
