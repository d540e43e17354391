/**
 * Hostile and broken peers get a clear gRPC status and a log line naming the peer, and never
 * harm a healthy agent's stream (issue #2). Real brain, real gRPC, real sockets on loopback.
 */
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { parseAgentConfig } from '../../../agent/config.js';
import { startAgent } from '../../../agent/main.js';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain, type BrainHandle } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import type { Counter } from '../../../lib/metrics.js';
import { IngestClient, ingestService, type IngestClientStream } from '../../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, type BrainMessage, type OutgoingAgentMessage } from '../../../proto/wire.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

const logLines: Record<string, unknown>[] = [];
const captureLog = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);

const dir = scratchDir(t);
const brain: BrainHandle = await startBrain(
  parseBrainConfig(`
brain: {id: refusal-brain, state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
token: s3cret
spool: {fsync: false}
limits: {max_message_bytes: 65536, max_streams_per_connection: 4, max_connections_per_peer: 50, idle_timeout_ms: 3000, hello_timeout_ms: 1000}
`),
  captureLog,
);
t.teardown(() => brain.stop());
const address = `127.0.0.1:${brain.grpcPort}`;

// A healthy agent streams all along; every test checks it keeps being acknowledged.
const healthy = await startAgent(
  parseAgentConfig(`
agent: {id: healthy, state_dir: ${dir}/healthy}
brain: {addresses: ["${address}"], token: s3cret}
interval_ms: 50
flush_ms: 50
samplers: {synthetic: {enabled: true, series: 5}}
`),
  silentLogger,
);
t.teardown(() => healthy.stop(500));

async function healthyKeepsFlowing(t: Test): Promise<void> {
  const before = healthy.shipper.ackedSeq;
  await waitFor('the healthy agent to be acknowledged again', () => healthy.shipper.ackedSeq >= before + 3, { timeoutMs: 5000 });
  t.pass(`healthy agent still acknowledged (seq ${before} → ${healthy.shipper.ackedSeq})`);
}

function rawStream(opts: { serialize?: (m: OutgoingAgentMessage) => Buffer } = {}): {
  call: IngestClientStream;
  status: Promise<grpc.StatusObject>;
  client: grpc.Client;
} {
  const Client = opts.serialize
    ? (grpc.makeGenericClientConstructor(
        { stream: { ...ingestService.stream, requestSerialize: opts.serialize } },
        'Ingest',
      ) as unknown as typeof IngestClient)
    : IngestClient;
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = client.stream();
  call.on('data', (_m: BrainMessage) => {});
  const status = new Promise<grpc.StatusObject>((resolve) => {
    call.on('error', () => {});
    call.on('status', resolve);
  });
  return { call, status, client };
}

function hello(token = 's3cret', agentId = 'raw') {
  return { hello: { protocolVersion: PROTOCOL_VERSION, agentId, host: agentId, token } };
}

function refusalLogged(code: string): boolean {
  return logLines.some((l) => l['msg'] === 'refusing agent stream' && l['code'] === code && typeof l['peer'] === 'string');
}

t.test('a hello with the wrong token is refused UNAUTHENTICATED, logged with the peer', async (t) => {
  const { call, status, client } = rawStream();
  call.write(hello('wrong'));
  const s = await status;
  t.equal(s.code, grpc.status.UNAUTHENTICATED);
  t.match(s.details, /FW_ERR_AUTH_TOKEN/);
  t.ok(refusalLogged('FW_ERR_AUTH_TOKEN'), 'log line names the code and the peer');
  client.close();
  await healthyKeepsFlowing(t);
});

t.test('a stream whose first message is not a hello is refused FAILED_PRECONDITION', async (t) => {
  const { call, status, client } = rawStream();
  call.write({ heartbeat: { timeUs: 1 } });
  const s = await status;
  t.equal(s.code, grpc.status.FAILED_PRECONDITION);
  t.match(s.details, /FW_ERR_WIRE_NO_HELLO/);
  client.close();
  await healthyKeepsFlowing(t);
});

t.test('a newer protocol version is refused with the versions named', async (t) => {
  const { call, status, client } = rawStream();
  call.write({ hello: { ...hello().hello, protocolVersion: 99 } });
  const s = await status;
  t.equal(s.code, grpc.status.FAILED_PRECONDITION);
  t.match(s.details, /agent speaks 99/);
  client.close();
});

t.test('a hello with a host name or labels outside the bounds is refused INVALID_ARGUMENT, naming the field', async (t) => {
  for (const [what, h, want] of [
    ['a 300-character host', { host: 'h'.repeat(300) }, /FW_ERR_WIRE_BAD_HELLO: hello is malformed: host "h{80}…" is not a host name/],
    ['a label value with markup', { labels: { desk: '<b>fx</b>' } }, /label desk: value "<b>fx<\/b>"/],
    ['a label name with a dash', { labels: { 'client-facing': 'true' } }, /label name "client-facing"/],
  ] as const) {
    const { call, status, client } = rawStream();
    call.write({ hello: { ...hello().hello, ...h } });
    const s = await status;
    t.equal(s.code, grpc.status.INVALID_ARGUMENT, what);
    t.match(s.details, want, `${what}: ${s.details}`);
    client.close();
  }
  t.notOk(brain.agents.get('raw')?.host.startsWith('hhh'), 'nothing of it was kept');
  await healthyKeepsFlowing(t);
});

t.test('garbage bytes are refused INTERNAL without harming other streams', async (t) => {
  const { call, status, client } = rawStream({ serialize: () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]) });
  call.write({ heartbeat: {} });
  const s = await status;
  t.equal(s.code, grpc.status.INTERNAL);
  client.close();
  await healthyKeepsFlowing(t);
});

t.test('an oversized message is refused RESOURCE_EXHAUSTED', async (t) => {
  const { call, status, client } = rawStream();
  call.write(hello());
  const n = 20_000; // 20k samples × ~10 bytes ≈ 200 KB > 64 KiB limit
  call.write({
    rawBatch: encodeBatch({ seq: 1, series: new Array(n).fill(0), values: new Array(n).fill(1), timeUs: new Array(n).fill(1) }),
  });
  const s = await status;
  t.equal(s.code, grpc.status.RESOURCE_EXHAUSTED);
  client.close();
  await healthyKeepsFlowing(t);
});

t.test('a batch naming an undeclared series is refused INVALID_ARGUMENT', async (t) => {
  const { call, status, client } = rawStream();
  call.write(hello('s3cret', 'raw-undeclared'));
  call.write({ rawBatch: encodeBatch({ seq: 1, series: [7], values: [1], timeUs: [1] }) });
  const s = await status;
  t.equal(s.code, grpc.status.INVALID_ARGUMENT);
  t.match(s.details, /FW_ERR_WIRE_UNKNOWN_SERIES/);
  client.close();
});

t.test('a batch with mismatched columns is refused INVALID_ARGUMENT', async (t) => {
  const { call, status, client } = rawStream();
  call.write(hello('s3cret', 'raw-columns'));
  call.write({ series: { defs: [{ id: 0, measurement: 'm', field: 'f' }] } });
  call.write({ rawBatch: encodeBatch({ seq: 1, series: [0, 0], values: [1], timeUs: [1, 2] }) });
  const s = await status;
  t.equal(s.code, grpc.status.INVALID_ARGUMENT);
  t.match(s.details, /column lengths differ/);
  client.close();
});

t.test(
  'one peer opening many streams that never say hello: each ends at the hello deadline; the healthy agent is unaffected',
  async (t) => {
    // One connection, 16 streams; the brain allows 4 at a time on it, so the rest wait their turn.
    const client = new IngestClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const statuses = Array.from({ length: 16 }, () => {
      const call = client.stream();
      call.on('data', () => {});
      call.on('error', () => {});
      return new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    });
    await healthyKeepsFlowing(t);
    const codes = (await Promise.all(statuses)).map((s) => grpc.status[s.code]);
    t.same([...new Set(codes)], ['DEADLINE_EXCEEDED'], 'every silent stream ended DEADLINE_EXCEEDED');
    client.close();
  },
);

t.test('one peer holding 2,000 silent connections is capped, silent sockets are closed, the healthy agent is unaffected', async (t) => {
  // From 127.0.0.2, so the per-peer cap does not apply to the healthy agent on 127.0.0.1.
  const sockets: Socket[] = [];
  let closed = 0;
  const refusals = (c: Counter) => ({ perPeer: c.get({ reason: 'max_connections_per_peer' }), silent: c.get({ reason: 'silent' }) });
  const refusedConnections = () => brain.metrics.counter('floorwatch_ingest_refused_connections_total', '', ['reason']);
  const before = refusals(refusedConnections());
  for (let i = 0; i < 2000; i++) {
    const s = connect({ host: '127.0.0.1', port: brain.grpcPort, localAddress: '127.0.0.2' });
    s.on('error', () => {});
    s.on('close', () => closed++);
    sockets.push(s);
  }
  await waitFor('connections over the per-peer cap to be refused', () => closed >= 1950, { timeoutMs: 10_000 });
  await healthyKeepsFlowing(t);
  await waitFor('silent sockets to be closed by the brain', () => closed === 2000, { timeoutMs: 10_000 });
  t.pass(`all 2,000 silent sockets closed (cap 50 per peer, 1 s to speak)`);
  // Each socket was refused at the cap or closed as silent after 1 s. How many of each depends
  // on how fast 2,000 connects go (on a busy box early ones time out and free their slots).
  const after = refusals(refusedConnections());
  const perPeer = after.perPeer - before.perPeer;
  const silent = after.silent - before.silent;
  t.ok(perPeer > 0 && perPeer + silent === 2000, `every socket counted once by reason (per-peer cap ${perPeer}, silent ${silent})`);
  t.match(
    await brain.metrics.render(),
    `floorwatch_ingest_refused_connections_total{reason="max_connections_per_peer"} ${after.perPeer}`,
    'and exported on /metrics',
  );
  await healthyKeepsFlowing(t);
});
