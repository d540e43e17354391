import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { FlushCoalescer } from '../../plant/reliable/flush-coalescer.js';

const turn = () => new Promise((r) => setImmediate(r));

t.test(
  'after a quiet spell a flush goes at the end of the turn; a busy stream flushes at most every coalesce_ms, all senders together',
  async (t) => {
    const clock = new FakeClock(0);
    const c = new FlushCoalescer(clock, 2);
    const flushed: string[] = [];
    c.schedule(() => flushed.push('a1'));
    c.schedule(() => flushed.push('b1'));
    await turn();
    t.same(flushed, ['a1', 'b1'], 'first flush at the end of the turn, both senders at once');
    c.schedule(() => flushed.push('a2'));
    await turn();
    t.same(flushed, ['a1', 'b1'], 'the next one waits for the coalescing interval');
    clock.advance(1);
    t.same(flushed, ['a1', 'b1']);
    clock.advance(1);
    t.same(flushed, ['a1', 'b1', 'a2'], 'and goes when it has passed');
    clock.advance(10);
    c.schedule(() => flushed.push('a3'));
    await turn();
    t.same(flushed, ['a1', 'b1', 'a2', 'a3'], 'quiet again: end of the turn');
  },
);

t.test('coalesce_ms 0 flushes at the end of every turn', async (t) => {
  const c = new FlushCoalescer(new FakeClock(0), 0);
  let n = 0;
  for (let i = 0; i < 3; i++) {
    c.schedule(() => n++);
    await turn();
  }
  t.equal(n, 3);
});
