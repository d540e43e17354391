import t from 'tap';
import { FakeClock } from '../../lib/clock.js';

t.test('fake clock fires timers in due order and only when advanced', async (t) => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@200'), 200);
  clock.setTimeout(() => fired.push('a@100'), 100);
  const every = clock.setInterval(() => fired.push(`tick@${clock.now()}`), 150);
  clock.advance(99);
  t.same(fired, []);
  clock.advance(201);
  t.same(fired, ['a@100', 'tick@150', 'b@200', 'tick@300']);
  every.cancel();
  clock.advance(1000);
  t.equal(fired.length, 4);
});
