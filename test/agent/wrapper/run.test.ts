import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { waitFor } from '../../helpers/wait.js';
import { nodeChild, startAgent, startWrapper, tempDir } from './wrapper-process.js';

t.test('a child that exits 3 is reported with its pid, command and exit code, and the wrapper exits 3', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const { emit } = await startAgent(t, socket);
  const child = nodeChild('process.exit(3)');
  const run = startWrapper(
    t,
    ['--name', 'exits3', '--restart', 'never', '--agent-socket', socket, '--log', join(dir, 'x.log'), '--', ...child],
    emit,
  );
  t.same(await run.exited, { code: 3, signal: null }, 'wrapper exit status');
  await waitFor('exit event', () => emit.eventsOf('process.exit').length === 1);
  const [start] = emit.eventsOf('process.start');
  t.match(start, { tags: { process: 'exits3' }, attrs: { command: child.join(' '), pid: /^\d+$/ }, severity: 0 });
  t.match(emit.eventsOf('process.exit'), [
    {
      tags: { process: 'exits3' },
      attrs: { exit_code: '3', reason: 'exit code 3', pid: start?.attrs?.['pid'] },
      values: { exit_code: 3 },
      severity: 2,
    },
  ]);
  t.equal(emit.eventsOf('process.restart').length, 0, 'never is never restarted');
});

t.test('a crash-looping child is restarted with growing backoff and the wrapper gives up at the max', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const { emit } = await startAgent(t, socket);
  const args = ['--name', 'loop', '--restart', 'on-failure', '--max-restarts', '4', '--backoff-ms', '50', '--backoff-max-ms', '200'];
  const run = startWrapper(
    t,
    [...args, '--agent-socket', socket, '--log', join(dir, 'loop.log'), '--', ...nodeChild('process.exit(3)')],
    emit,
  );
  t.same(await run.exited, { code: 3, signal: null }, 'wrapper exit status');
  await waitFor('give-up event', () => emit.eventsOf('process.giveup').length === 1);
  const restarts = emit.eventsOf('process.restart');
  t.same(
    restarts.map((e) => e.values?.['delay_ms']),
    [50, 100, 200, 200],
  );
  t.same(
    restarts.map((e) => e.values?.['attempt']),
    [1, 2, 3, 4],
  );
  t.ok(restarts.every((e) => e.attrs?.['reason'] === 'exit code 3'));
  t.match(emit.eventsOf('process.giveup'), [
    { severity: 3, attrs: { reason: /gave up after 4 consecutive restarts \(max 4\)/ }, values: { restarts: 4 } },
  ]);
  const starts = emit.eventsOf('process.start').map((e) => e.timeUs ?? 0);
  t.equal(starts.length, 5);
  const exits = emit.eventsOf('process.exit').map((e) => e.timeUs ?? 0);
  for (let i = 1; i < starts.length; i++) {
    t.ok(starts[i]! - exits[i - 1]! >= [50, 100, 200, 200][i - 1]! * 1000, `restart ${i} waited its backoff`);
  }
});

t.test('a child killed with SIGKILL is reported as signal SIGKILL and the wrapper exits 137', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const { emit } = await startAgent(t, socket);
  const run = startWrapper(
    t,
    [
      '--name',
      'killed',
      '--restart',
      'never',
      '--agent-socket',
      socket,
      '--log',
      join(dir, 'k.log'),
      '--',
      ...nodeChild('setInterval(() => {}, 1000)'),
    ],
    emit,
  );
  const start = await waitFor('start event', () => emit.eventsOf('process.start')[0]);
  process.kill(Number(start.attrs?.['pid']), 'SIGKILL');
  t.same(await run.exited, { code: 137, signal: null }, 'wrapper exit status');
  await waitFor('exit event', () => emit.eventsOf('process.exit')[0]);
  t.match(emit.eventsOf('process.exit'), [{ attrs: { signal: 'SIGKILL', reason: 'killed by signal SIGKILL' }, values: { signal: 9 } }]);
});

t.test('signals to the wrapper reach the child; SIGTERM ends it without restart and the wrapper exits with its status', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const markers = join(dir, 'signals.txt');
  const { emit } = await startAgent(t, socket);
  const source = `
    const fs = require('fs');
    for (const sig of ['SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(sig, () => fs.appendFileSync(${JSON.stringify(markers)}, sig + '\\n'));
    process.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(markers)}, 'SIGTERM\\n'); process.exit(42); });
    fs.appendFileSync(${JSON.stringify(markers)}, 'ready\\n');
    setInterval(() => {}, 1000);`;
  const run = startWrapper(
    t,
    ['--name', 'sig', '--restart', 'always', '--agent-socket', socket, '--log', join(dir, 's.log'), '--', ...nodeChild(source)],
    emit,
  );
  await waitFor('child ready', () => existsSync(markers) && readFileSync(markers, 'utf8') === 'ready\n');
  for (const sig of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    run.process.kill(sig);
    await waitFor(`${sig} reached the child`, () => readFileSync(markers, 'utf8').endsWith(`${sig}\n`));
  }
  run.process.kill('SIGTERM');
  t.same(await run.exited, { code: 42, signal: null }, 'wrapper exit status');
  t.equal(readFileSync(markers, 'utf8'), 'ready\nSIGHUP\nSIGUSR1\nSIGUSR2\nSIGTERM\n');
  await waitFor('exit event', () => emit.eventsOf('process.exit')[0]);
  t.match(emit.eventsOf('process.exit'), [{ attrs: { exit_code: '42' }, severity: 0 }], 'a requested stop is not a failure');
  t.equal(emit.eventsOf('process.restart').length, 0, 'always does not restart after SIGTERM');
  t.equal(emit.eventsOf('process.start').length, 1);
});

t.test('SIGINT to the wrapper ends a child with default handling; the wrapper exits 128 + SIGINT', async (t) => {
  const dir = tempDir(t);
  const ready = join(dir, 'ready');
  const run = startWrapper(t, [
    '--name',
    'int',
    '--agent-socket',
    join(dir, 'none.sock'),
    '--log',
    join(dir, 'i.log'),
    '--',
    ...nodeChild(`require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`),
  ]);
  await waitFor('child ready', () => existsSync(ready));
  run.process.kill('SIGINT');
  t.same(await run.exited, { code: 130, signal: null }, 'wrapper exit status');
});

t.test('stdout and stderr are appended to the log file unaltered', async (t) => {
  const dir = tempDir(t);
  const log = join(dir, 'out.log');
  writeFileSync(log, 'from an earlier run\n');
  const source = `process.stdout.write('line one\\n'); process.stderr.write('err line\\n'); process.stdout.write('  indented, no newline')`;
  const run = startWrapper(t, [
    '--name',
    'out',
    '--restart',
    'never',
    '--agent-socket',
    join(dir, 'none.sock'),
    '--log',
    log,
    '--',
    ...nodeChild(source),
  ]);
  t.same(await run.exited, { code: 0, signal: null }, 'wrapper exit status');
  t.equal(readFileSync(log, 'utf8'), 'from an earlier run\nline one\nerr line\n  indented, no newline');
});

t.test('the log file defaults to <FLOORWATCH_STATE_DIR>/NAME.log', async (t) => {
  const dir = tempDir(t);
  process.env['FLOORWATCH_STATE_DIR'] = dir;
  t.teardown(() => delete process.env['FLOORWATCH_STATE_DIR']);
  const run = startWrapper(t, [
    '--name',
    'dflt',
    '--restart',
    'never',
    '--agent-socket',
    join(dir, 'none.sock'),
    '--',
    ...nodeChild(`console.log('hello')`),
  ]);
  t.same(await run.exited, { code: 0, signal: null }, 'wrapper exit status');
  t.equal(readFileSync(join(dir, 'dflt.log'), 'utf8'), 'hello\n');
});

t.test("every second a sample reports the child's CPU %, RSS, threads, open fds, uptime and restarts", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const { emit } = await startAgent(t, socket);
  const busy = `const keep = Buffer.alloc(64 * 1024 * 1024, 1); const end = Date.now() + 60000; while (Date.now() < end) {}`;
  startWrapper(t, ['--name', 'busy', '--agent-socket', socket, '--log', join(dir, 'b.log'), '--', ...nodeChild(busy)], emit);
  await waitFor('three samples', () => emit.fieldValues('process', 'cpu_percent').length >= 3, { timeoutMs: 15_000 });
  const last = (field: string): number => emit.fieldValues('process', field).at(-1) ?? NaN;
  t.ok(last('cpu_percent') > 20, `a spinning child uses a good part of a core (${last('cpu_percent')} %)`);
  t.ok(last('rss_bytes') > 64 * 1024 * 1024, `RSS includes the 64 MiB buffer (${last('rss_bytes')})`);
  t.ok(last('threads') >= 1);
  t.ok(last('fds') >= 3, `fds ${last('fds')}`);
  t.ok(last('uptime_s') >= 2);
  t.equal(last('restarts'), 0);
  t.match(
    emit.points.find((p) => p.field === 'rss_bytes'),
    { measurement: 'process', tags: { process: 'busy' } },
  );
});

t.test(
  'with no agent listening the wrapper keeps running and buffering, then delivers the buffered reports when the agent appears',
  async (t) => {
    const dir = tempDir(t);
    const socket = join(dir, 'agent.sock');
    const ticks = join(dir, 'ticks');
    const source = `const fs = require('fs'); let n = 0; setInterval(() => fs.appendFileSync(${JSON.stringify(ticks)}, (++n) + '\\n'), 500)`;
    const run = startWrapper(t, ['--name', 'buffered', '--agent-socket', socket, '--log', join(dir, 'b.log'), '--', ...nodeChild(source)]);
    await waitFor(
      'the child runs for 2.5 s without an agent',
      () => existsSync(ticks) && readFileSync(ticks, 'utf8').split('\n').length > 5,
    );
    t.equal(run.process.exitCode, null, 'the wrapper is still running');
    const { emit } = await startAgent(t, socket);
    const start = await waitFor('the buffered start event', () => emit.eventsOf('process.start')[0], { timeoutMs: 15_000 });
    t.ok((start.timeUs ?? 0) < Date.now() * 1000 - 2_000_000, 'it carries the time it happened, not the time it arrived');
    await waitFor('buffered samples', () => emit.fieldValues('process', 'uptime_s').length >= 2);
    t.equal(emit.fieldValues('process', 'reports_dropped').at(-1), 0, 'nothing was dropped');
    run.process.kill('SIGTERM');
    t.same(await run.exited, { code: 143, signal: null }, 'wrapper exit status');
  },
);

t.test('when the buffer overflows the oldest reports are dropped and the drop count is delivered on reconnect', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'agent.sock');
  const ticks = join(dir, 'ticks');
  const source = `const fs = require('fs'); let n = 0; setInterval(() => fs.appendFileSync(${JSON.stringify(ticks)}, (++n) + '\\n'), 500)`;
  const run = startWrapper(t, [
    '--name',
    'overflow',
    '--report-queue',
    '2',
    '--agent-socket',
    socket,
    '--log',
    join(dir, 'o.log'),
    '--',
    ...nodeChild(source),
  ]);
  // Start event + one sample per second: more than 2 messages after 2.5 s.
  await waitFor('the child runs for 2.5 s without an agent', () => existsSync(ticks) && readFileSync(ticks, 'utf8').split('\n').length > 5);
  const { emit } = await startAgent(t, socket);
  const dropped = await waitFor('the drop count', () => emit.fieldValues('process', 'reports_dropped').find((n) => n > 0), {
    timeoutMs: 15_000,
  });
  t.ok(dropped >= 1, `${dropped} reports dropped`);
  t.equal(emit.eventsOf('process.start').length, 0, 'the oldest report (the start event) was the one dropped');
  run.process.kill('SIGTERM');
  t.same(await run.exited, { code: 143, signal: null }, 'wrapper exit status');
});

t.test('bad arguments are refused with a clear message', async (t) => {
  const dir = tempDir(t);
  const noName = startWrapper(t, ['--', 'true']);
  t.equal((await noName.exited).code, 1);
  t.match(noName.stderr(), /required option '--name <name>'/);
  const badPolicy = startWrapper(t, ['--name', 'x', '--restart', 'sometimes', '--log', join(dir, 'x.log'), '--', 'true']);
  t.equal((await badPolicy.exited).code, 1);
  t.match(badPolicy.stderr(), /Allowed choices are never, on-failure, always/);
  const badName = startWrapper(t, ['--name', '../etc/x', '--', 'true']);
  t.equal((await badName.exited).code, 1);
  t.match(badName.stderr(), /letters, digits/);
});
