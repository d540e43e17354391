import t from 'tap';
import { waitFor, waitForOrUndefined, WaitTimeout } from '../../lib/wait-for.js';

t.test('a value ends the wait; a throwing probe is "not yet", its error in the timeout message', async (t) => {
  let n = 0;
  t.equal(await waitFor('three polls', () => (++n >= 3 ? n : undefined), { everyMs: 1 }), 3);
  await t.rejects(
    waitFor(
      'never',
      () => {
        throw new Error('boom');
      },
      { timeoutMs: 30, everyMs: 5 },
    ),
    { name: 'WaitTimeout', message: /timed out waiting for never \(30 ms\): Error: boom/ },
  );
  t.equal(await waitForOrUndefined('never', () => undefined, { timeoutMs: 10, everyMs: 2 }), undefined);
});

t.test('the deadline follows progress: advancing keeps it alive, stalling ends it', async (t) => {
  let step = 0;
  const started = Date.now();
  // Progress for 150 ms (well past the 40 ms timeout), then done.
  const v = await waitFor('a slow but moving thing', () => (Date.now() - started > 150 ? 'done' : undefined), {
    timeoutMs: 40,
    everyMs: 5,
    progress: () => ++step,
  });
  t.equal(v, 'done');
  const stuck = waitFor('a stuck thing', () => undefined, { timeoutMs: 40, everyMs: 5, progress: () => 7 });
  await t.rejects(stuck, WaitTimeout);
  await t.rejects(
    waitFor('a stuck thing', () => undefined, { timeoutMs: 20, everyMs: 5, progress: () => 7 }),
    { message: /no progress for 20 ms; last progress 7/ },
  );
});

t.test('progress is compared by value: an array made afresh at each poll is not progress; detail says what is missing', async (t) => {
  await t.rejects(
    waitFor('desks at the last seq', () => undefined, {
      timeoutMs: 30,
      everyMs: 5,
      progress: () => [5, 7],
      detail: () => 'ws-2 at 7 of 9',
    }),
    { message: /no progress for 30 ms; last progress \[5,7\]\): ws-2 at 7 of 9$/ },
  );
});
