/**
 * Transport security (issue #2, item 6): TLS and mutual TLS with certificates generated at run
 * time by openssl. The brain refuses a client whose certificate its CA did not sign, and an
 * agent whose id is not the one its certificate names.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseAgentConfig } from '../../../agent/config.js';
import { startAgent } from '../../../agent/main.js';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { makeTestCa, makeTestCert } from '../../helpers/tls.js';
import { waitFor } from '../../helpers/wait.js';

const dir = scratchDir(t);
makeTestCa(dir, 'floor-ca');
makeTestCa(dir, 'rogue-ca');
makeTestCert(dir, 'floor-ca', 'brain', 'DNS:brain.floor,IP:127.0.0.1');
makeTestCert(dir, 'floor-ca', 'ws-ldn-001', 'DNS:ws-ldn-001');
makeTestCert(dir, 'floor-ca', 'ws-ldn-002', 'DNS:ws-ldn-002');
makeTestCert(dir, 'rogue-ca', 'ws-rogue', 'DNS:ws-rogue');

const logs: Record<string, unknown>[] = [];
const log = pino(
  { level: 'info' },
  new Writable({ write: (c: Buffer, _e, done) => (logs.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) }),
);
const brain = await startBrain(
  parseBrainConfig(`
brain: {state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
tls: {cert: ${dir}/brain.pem, key: ${dir}/brain.key, ca: ${dir}/floor-ca.pem, require_client_cert: true}
`),
  log,
);
t.teardown(() => brain.stop());

async function agentWith(id: string, cert: string) {
  const agent = await startAgent(
    parseAgentConfig(`
agent: {id: ${id}, state_dir: ${dir}/${id}-${cert}}
brain:
  addresses: ["127.0.0.1:${brain.grpcPort}"]
  tls: {ca: ${dir}/floor-ca.pem, cert: ${dir}/${cert}.pem, key: ${dir}/${cert}.key, server_name: brain.floor}
interval_ms: 100
flush_ms: 100
samplers: {synthetic: {enabled: true, series: 2}}
`),
    silentLogger,
  );
  t.teardown(() => agent.stop(200));
  return agent;
}

t.test('an agent with a certificate from the floor CA streams over mutual TLS', async (t) => {
  const agent = await agentWith('ws-ldn-001', 'ws-ldn-001');
  await waitFor('acks over mTLS', () => agent.shipper.ackedSeq >= 3);
  t.ok(brain.agents.get('ws-ldn-001')?.connected, 'brain lists the agent as connected');
});

t.test('a certificate from another CA is refused at the handshake', async (t) => {
  const rogue = await agentWith('ws-rogue', 'ws-rogue');
  await waitFor('the rogue agent to be turned away at least twice', () => rogue.shipper.reconnects >= 2, { timeoutMs: 10_000 });
  t.equal(rogue.shipper.ackedSeq, 0, 'nothing from the rogue agent was acknowledged');
  t.equal(brain.agents.get('ws-rogue'), undefined, 'the brain never saw a hello from it');
});

t.test('an agent id that its certificate does not name is refused PERMISSION_DENIED', async (t) => {
  const impostor = await agentWith('ws-ldn-009', 'ws-ldn-002');
  await waitFor('the refusal to be logged', () => logs.find((l) => l['code'] === 'FW_ERR_AUTH_IDENTITY'), { timeoutMs: 10_000 });
  t.equal(impostor.shipper.ackedSeq, 0);
  t.notOk(brain.agents.get('ws-ldn-009')?.connected, 'never connected');
});

t.test('an agent without TLS cannot talk to a TLS brain', async (t) => {
  const plain = await startAgent(
    parseAgentConfig(`
agent: {id: ws-plain, state_dir: ${dir}/ws-plain}
brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}
samplers: {synthetic: {enabled: true, series: 1}}
`),
    silentLogger,
  );
  t.teardown(() => plain.stop(200));
  await waitFor('the plaintext agent to fail twice', () => plain.shipper.reconnects >= 2, { timeoutMs: 10_000 });
  t.equal(plain.shipper.ackedSeq, 0);
});

t.test('a plaintext agent config pointing at a non-loopback brain is refused unless allowed', async (t) => {
  const config = parseAgentConfig(`agent: {id: x, state_dir: ${dir}/x}\nbrain: {addresses: ["10.1.2.3:7070"]}\nsamplers: {}\n`);
  await t.rejects(startAgent(config, silentLogger), /refusing plaintext to non-loopback brain 10\.1\.2\.3:7070/);
});
