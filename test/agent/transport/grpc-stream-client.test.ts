/**
 * The agent's own gRPC client against the real brain (a grpc-js server in its own process):
 * framing both ways, flow control under a big backlog, a refusal's status and reason, TLS with
 * certificates made by openssl, and keepalive noticing a brain that stops answering (SIGSTOP).
 */
import t, { type Test } from 'tap';
import { systemClock } from '../../../lib/clock.js';
import { GrpcStatus } from '../../../lib/grpc-status.js';
import {
  INGEST_STREAM_PATH,
  PROTOCOL_VERSION,
  decodeBrainMessage,
  encodeAgentMessage,
  encodeBatch,
  pb,
  type BrainMessage,
  type OutgoingAgentMessage,
} from '../../../proto/wire.js';
import { GrpcStreamCall, percentDecode, type CallStatus, type GrpcStreamOptions } from '../../../agent/transport/grpc-stream-client.js';
import { floorwatch, scratchDir, writeYaml, type FloorwatchProcess } from '../../helpers/floorwatch.js';
import { makeTestCa, makeTestCert, readTestTls } from '../../helpers/tls.js';
import { freePort, waitFor } from '../../helpers/wait.js';

const dir = scratchDir(t);

async function brain(t: Test, name: string, extra = ''): Promise<Brain> {
  const [grpc, http] = [await freePort(), await freePort()];
  const config = writeYaml(
    dir,
    `${name}.yaml`,
    `brain: {state_dir: ${dir}/${name}}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\nspool: {fsync: false}\n${extra}`,
  );
  // The compiled CLI when dist/ is fresh (`npm test` builds first): half the start-up CPU of tsx.
  const process = floorwatch(['brain', '--config', config], { built: true });
  t.teardown(() => process.kill('SIGKILL'));
  await process.line((l) => l['ready'] === 'brain');
  return { address: `127.0.0.1:${grpc}`, process };
}

interface Brain {
  address: string;
  process: FloorwatchProcess;
}

/**
 * One brain for the subtests that need nothing but a token (each its own agent id, so their
 * streams do not meet): started once for the file, not once per subtest (each start is seconds of
 * CPU on a busy box). The keepalive subtest freezes it, so it is the last to use it.
 */
const TOKEN = 's3cret';
let shared: Promise<Brain> | undefined;
const sharedBrain = () => (shared ??= brain(t, 'shared', `token: ${TOKEN}\n`));

/** A call that records what the brain sends and how the call ended. */
function open(options: Partial<GrpcStreamOptions> & { address: string }) {
  const received: BrainMessage[] = [];
  const ended: { status?: CallStatus } = {};
  let drains = 0;
  const call = new GrpcStreamCall(
    { clock: systemClock, path: INGEST_STREAM_PATH, maxReceiveBytes: 1 << 20, ...options },
    {
      message: (bytes) => received.push(decodeBrainMessage(bytes)),
      drain: () => drains++,
      closed: (status) => (ended.status = status),
    },
  );
  const send = (msg: OutgoingAgentMessage) => call.write(encodeAgentMessage(msg));
  return { call, send, received, ended, drains: () => drains };
}

const hello = (agentId: string, token = '') => ({
  hello: { agentId, host: 'test-host', softwareVersion: 'test', protocolVersion: PROTOCOL_VERSION, token, runId: agentId },
});

t.test('hello → welcome, series and batches → acks, over one HTTP/2 stream', async (t) => {
  const b = await sharedBrain();
  const c = open({ address: b.address });
  t.teardown(() => c.call.cancel());
  c.send(hello('ws-frame', TOKEN));
  const welcome = await waitFor('welcome', () => c.received.find((m) => m.welcome));
  t.equal(Number(welcome.welcome!.ackedSeq), 0);
  c.send({ series: { defs: [{ id: 1, measurement: 'cpu', field: 'busy', kind: pb.MetricKind.GAUGE, tags: { core: '0' } }] } });
  for (let seq = 1; seq <= 3; seq++) {
    c.send({ rawBatch: encodeBatch({ seq, series: [1], values: [seq], timeUs: [Date.now() * 1000], cumulativeSamples: seq }) });
  }
  await waitFor('ack of seq 3', () => c.received.some((m) => Number(m.ack?.uptoSeq) === 3));
  t.equal(c.ended.status, undefined, 'the call is still open');
});

t.test('a backlog much bigger than the HTTP/2 window is written with write() = false / drain, and all acked', async (t) => {
  const b = await sharedBrain();
  const c = open({ address: b.address });
  t.teardown(() => c.call.cancel());
  c.send(hello('ws-backlog', TOKEN));
  await waitFor('welcome', () => c.received.find((m) => m.welcome));
  const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
  c.send({
    series: { defs: ids.map((id) => ({ id, measurement: 'load', field: 'value', kind: pb.MetricKind.GAUGE, tags: { n: String(id) } })) },
  });
  const batches = 400; // 400 × 1,000 samples ≈ 10 MB, against a 64 KB stream window
  let seq = 0;
  let refused = 0;
  while (seq < batches) {
    seq++;
    const batch = encodeBatch({
      seq,
      series: ids,
      values: ids.map((i) => i * seq),
      timeUs: ids.map(() => Date.now() * 1000),
      cumulativeSamples: seq * ids.length,
    });
    if (!c.send({ rawBatch: batch })) {
      refused++;
      const before = c.drains();
      await waitFor('drain', () => c.drains() > before);
    }
  }
  t.ok(refused > 0, `write() pushed back ${refused} times`);
  await waitFor(`ack of seq ${batches}`, () => c.received.some((m) => Number(m.ack?.uptoSeq) === batches), { timeoutMs: 30_000 });
  t.equal(c.ended.status, undefined);
});

t.test("the brain's refusal arrives as the gRPC status and its reason", async (t) => {
  const b = await sharedBrain();
  const c = open({ address: b.address });
  c.send(hello('ws-no-token', 'wrong'));
  const status = await waitFor('the call to end', () => c.ended.status);
  t.equal(status.code, GrpcStatus.UNAUTHENTICATED);
  t.match(status.details, /^FW_ERR_AUTH_TOKEN: missing or wrong token/);
  t.same(c.received, [], 'no message before the refusal');
});

t.test('grpc-message percent-decoding', async (t) => {
  t.equal(percentDecode('caf%C3%A9 %25 ok'), 'café % ok');
  t.equal(percentDecode('50%'), '50%', 'malformed: shown as sent');
});

t.test('a message of many HTTP/2 frames (a 2 MB config push) arrives whole', async (t) => {
  const padding = Array.from({ length: 40_000 }, (_, i) => `# padding line ${i} ${'x'.repeat(32)}`).join('\n');
  const yaml = `interval_ms: 1000\nsamplers: {memory: {}}\n${padding}\n`;
  writeYaml(dir, 'agents-push.yaml', yaml);
  const b = await brain(t, 'big-push', `agent_config: ${dir}/agents-push.yaml\n`);
  const c = open({ address: b.address, maxReceiveBytes: 4 << 20 });
  t.teardown(() => c.call.cancel());
  c.send(hello('ws-big-push'));
  const pushed = await waitFor('the config push', () => c.received.find((m) => m.config));
  t.ok(yaml.length > 2_000_000);
  t.ok(pushed.config!.yaml === yaml, 'byte for byte');
});

t.test('a message above maxReceiveBytes ends the call RESOURCE_EXHAUSTED', async (t) => {
  const b = await sharedBrain();
  const c = open({ address: b.address, maxReceiveBytes: 1 });
  c.send(hello('ws-small', TOKEN));
  const status = await waitFor('the call to end', () => c.ended.status);
  t.equal(status.code, GrpcStatus.RESOURCE_EXHAUSTED);
  t.match(status.details, /received message larger than max \(\d+ vs\. 1\)/);
});

t.test('a brain that is not there: UNAVAILABLE naming the connect error', async (t) => {
  const c = open({ address: `127.0.0.1:${await freePort()}` });
  c.send(hello('ws-nobody'));
  const status = await waitFor('the call to end', () => c.ended.status);
  t.equal(status.code, GrpcStatus.UNAVAILABLE);
  t.match(status.details, /ECONNREFUSED/);
});

t.test('TLS: mutual, with the server name overridden when dialling by IP', async (t) => {
  makeTestCa(dir, 'ca');
  makeTestCert(dir, 'ca', 'brain', 'DNS:brain.floor');
  makeTestCert(dir, 'ca', 'ws-tls', 'DNS:ws-tls');
  const b = await brain(t, 'tls', `tls: {cert: ${dir}/brain.pem, key: ${dir}/brain.key, ca: ${dir}/ca.pem, require_client_cert: true}\n`);
  const files = readTestTls(dir, 'ca', 'ws-tls');

  const good = open({ address: b.address, tls: { ...files, serverName: 'brain.floor' } });
  t.teardown(() => good.call.cancel());
  good.send(hello('ws-tls'));
  await waitFor('welcome over mutual TLS', () => good.received.find((m) => m.welcome));

  const wrongName = open({ address: b.address, tls: files });
  wrongName.send(hello('ws-tls'));
  const status = await waitFor('the call without the override to end', () => wrongName.ended.status);
  t.equal(status.code, GrpcStatus.UNAVAILABLE);
  t.match(status.details, /IP: 127\.0\.0\.1 is not in the cert's list/, "the brain's certificate names brain.floor, not the IP");
});

t.test('keepalive notices a brain that stops answering (SIGSTOP)', async (t) => {
  const b = await sharedBrain(); // the last subtest on it: it stays frozen until the file ends
  const c = open({ address: b.address, keepaliveMs: 200, keepaliveTimeoutMs: 300 });
  c.send(hello('ws-frozen', TOKEN));
  await waitFor('welcome', () => c.received.find((m) => m.welcome));
  b.process.child.kill('SIGSTOP');
  t.teardown(() => b.process.child.kill('SIGCONT'));
  const status = await waitFor('keepalive to give up', () => c.ended.status, { timeoutMs: 5_000 });
  t.equal(status.code, GrpcStatus.UNAVAILABLE);
  t.equal(status.details, 'keepalive ping not answered within 300 ms');
});
