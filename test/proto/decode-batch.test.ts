/**
 * The brain decodes agents' batches straight from the bytes (proto/wire.ts decodeAgentMessage):
 * the same batch as protobufjs reads it, in typed arrays, whatever way the columns were encoded.
 */
import t, { type Test } from 'tap';
import { decodeAgentMessage, encodeAgentMessage, encodeBatch, pb } from '../../proto/wire.js';

const batch = {
  seq: 4_000_000_123,
  series: [0, 1, 2, 300, 70_000],
  values: [1.5, -2, 0, Number.MAX_VALUE, NaN],
  timeUs: [1.7e15, 1.7e15 + 1, 1.7e15 + 2, 1.7e15 + 3, 1.7e15 + 4],
  events: [{ kind: 'nic.link', tags: { interface: 'eth1' }, attrs: { state: 'down' }, values: { speed: 10 }, severity: 3, timeUs: 1.7e15 }],
  cumulativeSamples: 123_456_789,
  droppedBatches: 2,
  droppedSamples: 100,
};

function same(t: Test, got: ReturnType<typeof decodeAgentMessage>, what: string): void {
  const b = got.batch!;
  t.ok(b.series instanceof Uint32Array && b.values instanceof Float64Array && b.timeUs instanceof Float64Array, `${what}: typed arrays`);
  t.same([...b.series!], batch.series, `${what}: series`);
  t.same([...b.values!].map(String), batch.values.map(String), `${what}: values (NaN too)`);
  t.same([...b.timeUs!], batch.timeUs, `${what}: times`);
  t.equal(Number(b.seq), batch.seq, `${what}: seq`);
  t.equal(Number(b.cumulativeSamples), batch.cumulativeSamples);
  t.equal(Number(b.droppedSamples), batch.droppedSamples);
  t.same(
    b.events!.map((e) => ({ kind: e.kind, tags: e.tags, attrs: e.attrs, values: e.values, severity: e.severity })),
    batch.events.map(({ timeUs: _, ...e }) => e),
    `${what}: events`,
  );
}

t.test('a batch as protobufjs encodes it', async (t) => {
  same(t, decodeAgentMessage(encodeAgentMessage({ rawBatch: encodeBatch(batch) })), 'packed');
});

t.test('columns split in two parts (protobuf merges repeated fields), as the bench load generator sends them', async (t) => {
  const head = encodeBatch({
    seq: batch.seq,
    timeUs: batch.timeUs,
    cumulativeSamples: batch.cumulativeSamples,
    droppedBatches: 2,
    droppedSamples: 100,
    events: batch.events,
  });
  const a = encodeBatch({ series: batch.series.slice(0, 2), values: batch.values.slice(0, 2) });
  const b = encodeBatch({ series: batch.series.slice(2), values: batch.values.slice(2) });
  same(t, decodeAgentMessage(encodeAgentMessage({ rawBatch: Buffer.concat([head, a, b]) })), 'merged');
});

t.test('unpacked columns (one field per sample, as proto2 encoders write them)', async (t) => {
  const parts: number[] = [];
  const varint = (n: number) => {
    while (n > 0x7f) {
      parts.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    parts.push(n);
  };
  const double = (x: number) => parts.push(...new Uint8Array(new Float64Array([x]).buffer));
  for (const s of batch.series) (varint((2 << 3) | 0), varint(s));
  for (const v of batch.values) (varint((3 << 3) | 1), double(v));
  for (const u of batch.timeUs) (varint((4 << 3) | 1), double(u));
  const head = encodeBatch({
    seq: batch.seq,
    cumulativeSamples: batch.cumulativeSamples,
    droppedBatches: 2,
    droppedSamples: 100,
    events: batch.events,
  });
  same(t, decodeAgentMessage(encodeAgentMessage({ rawBatch: Buffer.concat([head, Uint8Array.from(parts)]) })), 'unpacked');
});

t.test('other messages and broken batches', async (t) => {
  const hello = decodeAgentMessage(pb.AgentMessage.encode({ hello: { agentId: 'ws-1', protocolVersion: 1 } }).finish());
  t.equal(hello.hello?.agentId, 'ws-1', 'a hello goes through protobufjs');
  const good = encodeAgentMessage({ rawBatch: encodeBatch(batch) });
  t.throws(
    () => decodeAgentMessage(Buffer.concat([good.subarray(0, 3), Buffer.from([0x12, 0x7f])]).subarray(0, good.length)),
    'a truncated batch is an error',
  );
  const cut = Buffer.from(good);
  cut[1] = 0x05; // claims 5 bytes: the column inside runs past them
  t.throws(() => decodeAgentMessage(cut.subarray(0, 7)), 'a column past the batch is an error');
});
