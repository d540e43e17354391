import t from 'tap';
import { FakeClock } from '../../../lib/clock.js';
import { exitStatusOf, RestartPolicy, type RestartDecision, type RestartPolicyOptions } from '../../../agent/wrapper/restart-policy.js';

const crashLoop: RestartPolicyOptions = {
  mode: 'on-failure',
  maxRestarts: 5,
  backoffMinMs: 100,
  backoffMaxMs: 1000,
  stableAfterMs: 10_000,
};

t.test('a crash loop restarts with doubling backoff capped at the max, then gives up at max restarts', async (t) => {
  const clock = new FakeClock(0);
  const policy = new RestartPolicy(crashLoop);
  const starts: number[] = [];
  let last: RestartDecision | undefined;
  const start = (): void => {
    starts.push(clock.now());
    // The child dies at once with exit code 1.
    last = policy.decide({ code: 1, signal: null, uptimeMs: 0 });
    if (last.action === 'restart') clock.setTimeout(start, last.delayMs);
  };
  start();
  clock.advance(99);
  t.same(starts, [0], 'no restart before the first backoff has passed');
  clock.advance(60_000);
  t.same(starts, [0, 100, 300, 700, 1500, 2500], 'backoff 100, 200, 400, 800, then capped at 1000');
  t.match(last, { action: 'give-up', attempts: 5, reason: /exit code 1; gave up after 5 consecutive restarts \(max 5\)/ });
});

t.test('a run longer than stableAfterMs starts a fresh backoff series', async (t) => {
  const policy = new RestartPolicy(crashLoop);
  const quick = { code: 1, signal: null, uptimeMs: 10 };
  t.match(policy.decide(quick), { action: 'restart', attempt: 1, delayMs: 100 });
  t.match(policy.decide(quick), { action: 'restart', attempt: 2, delayMs: 200 });
  t.match(policy.decide({ ...quick, uptimeMs: 10_000 }), { action: 'restart', attempt: 1, delayMs: 100 });
});

t.test('policies: never stops, on-failure stops on a clean exit, always restarts it', async (t) => {
  const clean = { code: 0, signal: null, uptimeMs: 5 };
  const killed = { code: null, signal: 'SIGKILL' as const, uptimeMs: 5 };
  t.match(new RestartPolicy({ ...crashLoop, mode: 'never' }).decide(killed), { action: 'stop', reason: /killed by signal SIGKILL/ });
  t.match(new RestartPolicy(crashLoop).decide(clean), { action: 'stop', reason: /exit code 0/ });
  t.match(new RestartPolicy(crashLoop).decide(killed), { action: 'restart', reason: 'killed by signal SIGKILL' });
  t.match(new RestartPolicy({ ...crashLoop, mode: 'always' }).decide(clean), { action: 'restart', reason: 'exit code 0' });
  t.match(new RestartPolicy({ ...crashLoop, maxRestarts: 0 }).decide(killed), { action: 'give-up' });
});

t.test('the wrapper status mirrors the child: its exit code, or 128 + signal number', async (t) => {
  t.equal(exitStatusOf({ code: 3, signal: null }), 3);
  t.equal(exitStatusOf({ code: null, signal: 'SIGKILL' }), 137);
  t.equal(exitStatusOf({ code: null, signal: 'SIGTERM' }), 143);
});

t.test('invalid options are refused', async (t) => {
  t.throws(() => new RestartPolicy({ ...crashLoop, backoffMinMs: 500, backoffMaxMs: 100 }));
  t.throws(() => new RestartPolicy({ ...crashLoop, maxRestarts: -1 }));
});
