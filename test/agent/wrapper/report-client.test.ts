import { join } from 'node:path';
import t from 'tap';
import { ReportClient } from '../../../agent/wrapper/report-client.js';
import { BoundedQueue } from '../../../agent/wrapper/bounded-queue.js';
import { systemClock } from '../../../lib/clock.js';
import { waitFor } from '../../helpers/wait.js';
import { startAgent, tempDir } from './wrapper-process.js';

t.test('the bounded queue keeps the newest items and counts the dropped oldest', async (t) => {
  const q = new BoundedQueue<number>(3);
  for (let i = 1; i <= 5; i++) q.push(i);
  t.equal(q.dropped, 2);
  t.same(q.drain(), [3, 4, 5]);
  q.push(6);
  t.same(q.drain(), [6]);
});

t.test('reports sent while no agent listens are delivered in order, drop count first, once it appears', async (t) => {
  const socket = join(tempDir(t), 'agent.sock');
  const client = new ReportClient({
    path: socket,
    clock: systemClock,
    maxQueue: 3,
    reconnectMinMs: 10,
    reconnectMaxMs: 50,
    dropReport: (dropped) => ({ v: 1, type: 'sample', measurement: 'producer', fields: { dropped } }),
  });
  client.start();
  t.teardown(() => client.close(0));
  for (let i = 1; i <= 5; i++) client.send({ v: 1, type: 'event', kind: 'test.seq', values: { i } });
  t.equal(client.queued, 3);
  t.equal(client.dropped, 2);
  const { emit } = await startAgent(t, socket);
  await waitFor('queued reports', () => emit.events.length === 3, { timeoutMs: 5_000 });
  t.same(emit.fieldValues('producer', 'dropped'), [2]);
  t.same(
    emit.events.map((e) => e.input.values?.['i']),
    [3, 4, 5],
  );
  client.send({ v: 1, type: 'event', kind: 'test.seq', values: { i: 6 } });
  await waitFor('a report sent while connected', () => emit.events.length === 4);
  t.same(emit.fieldValues('producer', 'dropped'), [2], 'the drop count is not repeated without new drops');
});

t.test('close delivers what is queued when the agent is reachable', async (t) => {
  const socket = join(tempDir(t), 'agent.sock');
  const { emit } = await startAgent(t, socket);
  const client = new ReportClient({ path: socket, clock: systemClock });
  client.start();
  for (let i = 0; i < 1000; i++) client.send({ v: 1, type: 'event', kind: 'test.bulk', values: { i } });
  await client.close(5_000);
  await waitFor('all 1000 reports', () => emit.events.length === 1000);
  t.equal(emit.events.at(-1)?.input.values?.['i'], 999);
});
