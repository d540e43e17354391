/**
 * The shipper on the agent's own gRPC client, against a real brain process: fail-over to the
 * second address, a refusal logged with its status and reason, and a brain SIGKILLed and
 * restarted (reconnect, replay from the brain's stored seq, no batch missing).
 */
import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseAgentConfig } from '../../../agent/config.js';
import { startAgent, type AgentHandle } from '../../../agent/main.js';
import { floorwatch, getJson, scratchDir, writeYaml, type FloorwatchProcess } from '../../helpers/floorwatch.js';
import { freePort, waitFor } from '../../helpers/wait.js';

const dir = scratchDir(t);

interface BrainAgentView {
  id: string;
  connected: boolean;
  acked_seq: number;
  missing_batches: number;
  agent_cumulative_samples: number;
}

async function brainConfig(name: string, extra = ''): Promise<{ config: string; grpc: number; http: number }> {
  const [grpc, http] = [await freePort(), await freePort()];
  const config = writeYaml(
    dir,
    `${name}.yaml`,
    `brain: {state_dir: ${dir}/${name}}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\naccess: {anonymous_read: true}\nspool: {fsync: false}\n${extra}`,
  );
  return { config, grpc, http };
}

async function runBrain(t: Test, config: string): Promise<FloorwatchProcess> {
  const brain = floorwatch(['brain', '--config', config]);
  t.teardown(() => brain.kill('SIGKILL'));
  await brain.line((l) => l['ready'] === 'brain');
  return brain;
}

async function agent(
  t: Test,
  id: string,
  addresses: string[],
  extra = '',
): Promise<{ agent: AgentHandle; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({ write: (c: Buffer, _e, done) => (logs.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) }),
  );
  const handle = await startAgent(
    parseAgentConfig(`
agent: {id: ${id}, state_dir: ${dir}/${id}}
brain: {addresses: ${JSON.stringify(addresses)}${extra}}
interval_ms: 100
flush_ms: 100
samplers: {synthetic: {enabled: true, series: 5}}
`),
    log,
  );
  t.teardown(() => handle.stop(200));
  return { agent: handle, logs };
}

t.test('the first brain unreachable: the agent fails over to the second', async (t) => {
  const b = await brainConfig('failover');
  await runBrain(t, b.config);
  const { agent: a } = await agent(t, 'ws-failover', [`127.0.0.1:${await freePort()}`, `127.0.0.1:${b.grpc}`]);
  await waitFor('acks from the second brain', () => a.shipper.ackedSeq >= 3);
  t.equal(a.shipper.connectedTo, `127.0.0.1:${b.grpc}`);
});

t.test("a refused hello is logged with the brain's status and reason, and retried", async (t) => {
  const b = await brainConfig('refusing', 'token: s3cret\n');
  await runBrain(t, b.config);
  const { agent: a, logs } = await agent(t, 'ws-refused', [`127.0.0.1:${b.grpc}`], ', token: wrong');
  const down = await waitFor('the refusal in the log', () => logs.find((l) => l['msg'] === 'brain stream down; reconnecting'));
  t.match(down['reason'], /^UNAUTHENTICATED: FW_ERR_AUTH_TOKEN: missing or wrong token/);
  await waitFor('a retry', () => a.shipper.reconnects >= 2);
  t.equal(a.shipper.ackedSeq, 0);
});

t.test('brain SIGKILLed and restarted: the agent reconnects and replays, no batch missing', async (t) => {
  const b = await brainConfig('restarting');
  let brain = await runBrain(t, b.config);
  const { agent: a } = await agent(t, 'ws-replay', [`127.0.0.1:${b.grpc}`]);
  await waitFor('first acks', () => a.shipper.ackedSeq >= 3);
  await brain.kill('SIGKILL');
  const queuedAtKill = a.queue.stats().pendingBatches;
  await waitFor('batches queued while the brain is down', () => a.queue.stats().pendingBatches >= queuedAtKill + 5);
  t.notOk(a.shipper.connected, 'the agent noticed the brain is gone');
  brain = await runBrain(t, b.config);
  const { drained, cumulativeSamples } = await a.stop(10_000);
  t.ok(drained, 'everything queued was acknowledged by the restarted brain');
  t.ok(a.shipper.reconnects >= 1);
  const [view] = (await getJson<BrainAgentView[]>(`http://127.0.0.1:${b.http}/api/agents`)).filter((x) => x.id === 'ws-replay');
  t.equal(view?.acked_seq, a.shipper.ackedSeq, "the brain's stored seq is the agent's last");
  t.equal(view?.missing_batches, 0, 'no seq skipped');
  t.equal(view?.agent_cumulative_samples, cumulativeSamples, "the brain has the agent's last batch");
});

t.test(
  'every brain of the list gone: the agent says locally, once, that the monitor may be down, and again when one is back',
  async (t) => {
    const b = await brainConfig('gone');
    const brain = await runBrain(t, b.config);
    const addresses = [`127.0.0.1:${b.grpc}`, `127.0.0.1:${await freePort()}`];
    const { agent: a, logs } = await agent(t, 'ws-gone', addresses, ', unreachable_alarm_ms: 1000');
    await waitFor('connected', () => a.shipper.connected);
    await brain.kill('SIGKILL');
    const alarm = await waitFor('the local alarm', () => logs.find((l) => String(l['msg']).startsWith('no brain reachable')));
    t.equal(alarm['level'], 50, 'at error level');
    t.same(alarm['brains'], addresses, 'names the brains it tried');
    await new Promise((r) => setTimeout(r, 1500));
    t.equal(logs.filter((l) => String(l['msg']).startsWith('no brain reachable')).length, 1, 'said once, not per retry');
    await runBrain(t, b.config);
    const back = await waitFor('the all-clear', () => logs.find((l) => /reachable again after \d+ s/.test(String(l['msg']))));
    t.ok(back, `then: ${String(back['msg'])}`);
    await a.stop(5_000);
  },
);
