import t from 'tap';
import { FakeClock, type Clock, type Timer } from '../../lib/clock.js';
import { sharedIntervals } from '../../agent/shared-intervals.js';

/** A FakeClock that counts the timers actually armed underneath. */
function countingClock(): { clock: Clock & { advance(ms: number): void }; armed: () => number } {
  const fake = new FakeClock();
  let live = 0;
  const clock = {
    now: () => fake.now(),
    nowUs: () => fake.nowUs(),
    monotonic: () => fake.monotonic(),
    setTimeout: (fn: () => void, ms: number) => fake.setTimeout(fn, ms),
    setInterval(fn: () => void, ms: number): Timer {
      live++;
      const timer = fake.setInterval(fn, ms);
      return { cancel: () => (live--, timer.cancel()) };
    },
    advance: (ms: number) => fake.advance(ms),
  };
  return { clock, armed: () => live };
}

t.test('intervals of one period share one timer and run in registration order', async (t) => {
  const { clock, armed } = countingClock();
  const shared = sharedIntervals(clock);
  const order: string[] = [];
  shared.setInterval(() => order.push('tick'), 1000);
  shared.setInterval(() => order.push('flush'), 1000);
  shared.setInterval(() => order.push('fast'), 50);
  t.equal(armed(), 2, 'one timer per distinct period');
  clock.advance(1000);
  t.same(
    order.filter((o) => o !== 'fast'),
    ['tick', 'flush'],
  );
  t.equal(order.filter((o) => o === 'fast').length, 20);
});

t.test('cancel removes one job; the last one cancelled stops the timer', async (t) => {
  const { clock, armed } = countingClock();
  const shared = sharedIntervals(clock);
  let a = 0;
  let b = 0;
  const ta = shared.setInterval(() => a++, 1000);
  const tb = shared.setInterval(() => b++, 1000);
  clock.advance(1000);
  ta.cancel();
  clock.advance(1000);
  t.same([a, b], [1, 2]);
  tb.cancel();
  t.equal(armed(), 0);
  shared.setInterval(() => a++, 1000);
  t.equal(armed(), 1, 'a new job after that arms a fresh timer');
});

t.test('a job that throws does not starve the jobs after it', async (t) => {
  const { clock } = countingClock();
  const shared = sharedIntervals(clock);
  let ran = 0;
  shared.setInterval(() => {
    throw new Error('boom');
  }, 1000);
  shared.setInterval(() => ran++, 1000);
  const thrown: unknown[] = [];
  const onUncaught = (err: unknown) => thrown.push(err);
  process.prependListener('uncaughtException', onUncaught);
  clock.advance(1000);
  await new Promise((r) => setImmediate(r));
  process.off('uncaughtException', onUncaught);
  t.equal(ran, 1);
  t.match(String(thrown[0]), /boom/, 'the error still surfaces, uncaught');
});
