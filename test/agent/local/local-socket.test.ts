import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalSocketSampler, type LocalSocketConfig } from '../../../agent/local/local-socket.js';
import { localSocketPlugin } from '../../../agent/samplers/local-socket-plugin.js';
import { parseConfigText } from '../../../lib/config-file.js';
import { systemClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/log.js';
import { waitFor } from '../../helpers/wait.js';
import { RecordingEmit } from './recording-emit.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-local-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startListener(t: Test, path: string): Promise<{ sampler: LocalSocketSampler; emit: RecordingEmit }> {
  const sampler = new LocalSocketSampler(path, { clock: systemClock, log: silentLogger });
  const emit = new RecordingEmit();
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  return { sampler, emit };
}

async function producer(t: Test, path: string): Promise<Socket> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  t.teardown(() => socket.destroy());
  return socket;
}

t.test('events and samples written to the socket become emitted events, gauges and counters', async (t) => {
  const path = join(tempDir(t), 'agent.sock');
  const { emit } = await startListener(t, path);
  t.equal(statSync(path).mode & 0o777, 0o660, 'socket mode is 0660');
  const socket = await producer(t, path);
  socket.write(
    '{"v":1,"type":"event","kind":"plant.failover","time_us":1700000000000000,"tags":{"plant":"tp"},"attrs":{"to":"b"},"severity":3}\n',
  );
  socket.write('{"v":1,"type":"sample","measurement":"plant","tags":{"plant":"tp"},"fields":{"lag_ms":4},"counters":{"updates":10}}\n');
  await waitFor('both messages', () => emit.events.length === 1 && emit.points.length === 2);
  t.same(emit.events[0], {
    kind: 'plant.failover',
    input: { timeUs: 1700000000000000, tags: { plant: 'tp' }, attrs: { to: 'b' }, severity: 3 },
  });
  t.match(emit.points, [
    { kind: 'gauge', measurement: 'plant', field: 'lag_ms', value: 4, tags: { plant: 'tp' } },
    { kind: 'counter', measurement: 'plant', field: 'updates', value: 10, tags: { plant: 'tp' } },
  ]);
  t.type(emit.points[0]?.timeUs, 'number', 'a message without time_us is stamped on arrival');
});

t.test('malformed and oversized lines are counted and dropped without harming the connection or others', async (t) => {
  const path = join(tempDir(t), 'agent.sock');
  const { sampler, emit } = await startListener(t, path);
  const bad = await producer(t, path);
  const good = await producer(t, path);
  bad.write('this is not json\n');
  bad.write(`{"v":1,"type":"event","kind":"x","attrs":{"a":"${'y'.repeat(70 * 1024)}`);
  bad.write(`${'z'.repeat(10 * 1024)}"}}\n`);
  bad.write('{"v":1,"type":"event","kind":"after.bad"}\n');
  good.write('{"v":1,"type":"event","kind":"from.good"}\n');
  await waitFor('both good events', () => emit.events.length === 2);
  t.same(emit.events.map((e) => e.kind).sort(), ['after.bad', 'from.good']);
  t.equal(sampler.stats.malformed, 1);
  t.equal(sampler.stats.oversized, 1);
  good.write('{"v":1,"type":"event","kind":"still.good"}\n');
  await waitFor('the good connection still delivers', () => emit.events.length === 3);
  const counters = new RecordingEmit();
  sampler.sample(counters);
  t.same(counters.fieldValues('local_socket', 'oversized'), [1]);
  t.same(counters.fieldValues('local_socket', 'malformed'), [1]);
  t.same(counters.fieldValues('local_socket', 'open_connections'), [2]);
});

/** A listener killed with SIGKILL leaves its socket file behind, as a crashed agent does. */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

t.test('a stale socket file is replaced, a live one or a regular file is refused', async (t) => {
  const dir = tempDir(t);
  const stale = join(dir, 'stale.sock');
  await leaveStaleSocket(stale);
  const live = join(dir, 'live.sock');
  const other = createServer();
  await new Promise<void>((resolve) => other.listen(live, resolve));
  t.teardown(() => other.close());
  t.ok(statSync(stale).isSocket(), 'stale socket file exists');
  const { emit } = await startListener(t, stale);
  const socket = await producer(t, stale);
  socket.write('{"v":1,"type":"event","kind":"on.replaced"}\n');
  await waitFor('event on the replaced socket', () => emit.events.length === 1);

  await t.rejects(new LocalSocketSampler(live, { clock: systemClock, log: silentLogger }).start(new RecordingEmit()), /in use/);
  const regular = join(dir, 'regular');
  writeFileSync(regular, 'keep me');
  await t.rejects(new LocalSocketSampler(regular, { clock: systemClock, log: silentLogger }).start(new RecordingEmit()), /not a socket/);
  t.equal(readFileSync(regular, 'utf8'), 'keep me');
});

t.test('README embeds sample.yaml verbatim and the sample passes the schema', async (t) => {
  const sample = readFileSync(new URL('../../../agent/local/sample.yaml', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../../../agent/local/README.md', import.meta.url), 'utf8');
  t.ok(readme.includes(`\`\`\`yaml\n${sample}\`\`\``), 'README contains sample.yaml in a yaml block');
  const parsed = parseConfigText<{ local: LocalSocketConfig }>(
    sample,
    { type: 'object', properties: { local: localSocketPlugin.schema } },
    'sample.yaml',
  );
  t.same(parsed.local, { enabled: true, path: '/run/floorwatch/agent.sock' });
});
