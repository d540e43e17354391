import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LocalMessage, EventMessage } from '../../../agent/local/protocol.js';
import { RestartPolicy } from '../../../agent/wrapper/restart-policy.js';
import { Supervisor, type Reporter } from '../../../agent/wrapper/supervise.js';
import { FakeClock } from '../../../lib/clock.js';
import { processStartTicks } from '../../../lib/process-identity.js';
import { silentLogger } from '../../../lib/log.js';
import { waitFor } from '../../helpers/wait.js';
import { tempDir } from './wrapper-process.js';

class RecordingReporter implements Reporter {
  readonly messages: LocalMessage[] = [];
  readonly dropped = 0;
  send(message: LocalMessage): void {
    this.messages.push(message);
  }
  events(kind: string): EventMessage[] {
    return this.messages.filter((m): m is EventMessage => m.type === 'event' && m.kind === kind);
  }
}

t.test('restarts of a real crashing child wait for the backoff on the clock and stop at the max', async (t) => {
  const clock = new FakeClock();
  const reporter = new RecordingReporter();
  const logFile = join(tempDir(t), 'crash.log');
  const supervisor = new Supervisor({
    name: 'crash',
    command: 'sh',
    args: ['-c', 'echo attempt; exit 3'],
    policy: new RestartPolicy({ mode: 'on-failure', maxRestarts: 3, backoffMinMs: 1000, backoffMaxMs: 3000, stableAfterMs: 60_000 }),
    clock,
    logFile,
    reporter,
    log: silentLogger,
  });
  supervisor.start();
  for (const [attempt, delayMs] of [
    [1, 1000],
    [2, 2000],
    [3, 3000],
  ] as const) {
    await waitFor(`restart ${attempt} scheduled`, () => reporter.events('process.restart').length === attempt);
    t.match(reporter.events('process.restart')[attempt - 1], { attrs: { reason: 'exit code 3' }, values: { attempt, delay_ms: delayMs } });
    clock.advance(delayMs - 1);
    t.equal(reporter.events('process.start').length, attempt, `restart ${attempt} has not happened 1 ms before its backoff ends`);
    clock.advance(1);
    await waitFor(`start ${attempt + 1}`, () => reporter.events('process.start').length === attempt + 1);
  }
  t.equal(await supervisor.done, 3, "gives up with the child's exit code");
  t.match(reporter.events('process.giveup'), [{ severity: 3, attrs: { reason: /gave up after 3 consecutive restarts/ } }]);
  t.equal(reporter.events('process.exit').length, 4);
  t.equal(readFileSync(logFile, 'utf8'), 'attempt\n'.repeat(4));
});

t.test('a stop signal during the backoff ends supervision at once with the last exit status', async (t) => {
  const clock = new FakeClock();
  const reporter = new RecordingReporter();
  const supervisor = new Supervisor({
    name: 'stop-in-backoff',
    command: 'sh',
    args: ['-c', 'exit 5'],
    policy: new RestartPolicy({ mode: 'always', maxRestarts: 10, backoffMinMs: 1000, backoffMaxMs: 1000, stableAfterMs: 60_000 }),
    clock,
    logFile: join(tempDir(t), 'stop.log'),
    reporter,
    log: silentLogger,
  });
  supervisor.start();
  await waitFor('restart scheduled', () => reporter.events('process.restart').length === 1);
  supervisor.signal('SIGTERM');
  t.equal(await supervisor.done, 5);
  clock.advance(5000);
  t.equal(reporter.events('process.start').length, 1, 'no restart after the stop');
});

t.test('a command that cannot be started is reported as exit code 127', async (t) => {
  const reporter = new RecordingReporter();
  const supervisor = new Supervisor({
    name: 'missing',
    command: '/nonexistent/floorwatch-test-binary',
    args: [],
    policy: new RestartPolicy({ mode: 'never', maxRestarts: 0, backoffMinMs: 0, backoffMaxMs: 0, stableAfterMs: 1 }),
    clock: new FakeClock(),
    logFile: join(tempDir(t), 'missing.log'),
    reporter,
    log: silentLogger,
  });
  supervisor.start();
  t.equal(await supervisor.done, 127);
  t.match(reporter.events('process.exit'), [{ attrs: { exit_code: '127', reason: /cannot start .*ENOENT/ } }]);
});

t.test("start and exit name the child by pid and start time, the identity the brain keys 'alive' on (#19)", async (t) => {
  const clock = new FakeClock();
  const reporter = new RecordingReporter();
  const supervisor = new Supervisor({
    name: 'identity',
    command: 'sleep',
    args: ['30'],
    policy: new RestartPolicy({ mode: 'on-failure', maxRestarts: 0, backoffMinMs: 1000, backoffMaxMs: 1000, stableAfterMs: 60_000 }),
    clock,
    logFile: join(tempDir(t), 'identity.log'),
    reporter,
    log: silentLogger,
  });
  supervisor.start();
  const start = await waitFor('the start event', () => reporter.events('process.start')[0]);
  const attrs = start.attrs ?? {};
  const pid = Number(attrs['pid']);
  const ownTicks = processStartTicks(pid);
  t.ok(ownTicks !== undefined && ownTicks > 0, `the child's /proc/${pid}/stat gives its start time (${ownTicks})`);
  t.equal(attrs['start_ticks'], String(ownTicks), 'process.start carries the start time /proc gives for its pid');
  supervisor.signal('SIGTERM');
  await supervisor.done;
  t.match(
    reporter.events('process.exit'),
    [{ attrs: { pid: String(pid), start_ticks: String(ownTicks) } }],
    'process.exit carries the same identity',
  );
});
