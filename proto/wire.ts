/**
 * The wire's messages and codec: the only module touching the generated protobufjs code. It
 * does not load @grpc/grpc-js: the agent speaks gRPC with its own client
 * (agent/transport/grpc-stream-client.ts); grpc-js users import proto/ingest-service.ts.
 */
import './numbers.js';
import { floorwatch } from './gen/floorwatch.js';

export const pb = floorwatch.v1;
export type AgentMessage = floorwatch.v1.AgentMessage;
export type IAgentMessage = floorwatch.v1.IAgentMessage;
export type BrainMessage = floorwatch.v1.BrainMessage;
export type IBrainMessage = floorwatch.v1.IBrainMessage;
export type IHello = floorwatch.v1.IHello;
export type IHostInventory = floorwatch.v1.IHostInventory;
export type ISeriesDef = floorwatch.v1.ISeriesDef;
export type ISampleBatch = floorwatch.v1.ISampleBatch;
export type SampleBatch = floorwatch.v1.SampleBatch;
export type IEvent = floorwatch.v1.IEvent;
export const MetricKind = floorwatch.v1.MetricKind;
export const Severity = floorwatch.v1.Severity;

/** Wire protocol version spoken by this build (Hello/Welcome.protocol_version). */
export const PROTOCOL_VERSION = 1;

/** The one RPC of the wire: a bidirectional stream of AgentMessage / BrainMessage. */
export const INGEST_STREAM_PATH = '/floorwatch.v1.Ingest/Stream';

/**
 * An agent message whose SampleBatch is already encoded (as kept in the agent's disk queue):
 * it is framed as AgentMessage.batch without decoding and re-encoding it.
 */
export interface RawBatchMessage {
  rawBatch: Uint8Array;
}
export type OutgoingAgentMessage = IAgentMessage | RawBatchMessage;

const BATCH_FIELD_TAG = (3 << 3) | 2; // AgentMessage.batch, length-delimited

export function encodeAgentMessage(msg: OutgoingAgentMessage): Buffer {
  if ('rawBatch' in msg) {
    const body = msg.rawBatch;
    const header = varint(body.length);
    const out = Buffer.allocUnsafe(1 + header.length + body.length);
    out[0] = BATCH_FIELD_TAG;
    out.set(header, 1);
    out.set(body, 1 + header.length);
    return out;
  }
  return Buffer.from(pb.AgentMessage.encode(msg).finish());
}

function varint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

export function encodeBatch(batch: ISampleBatch): Uint8Array {
  return pb.SampleBatch.encode(batch).finish();
}

export function decodeBrainMessage(buf: Uint8Array): BrainMessage {
  return pb.BrainMessage.decode(buf);
}

/**
 * AgentMessage from the wire. A batch (nearly every message) is decoded here, straight from the
 * bytes: its packed columns become one typed array each (series ids, values, times: one copy of
 * the bytes, no JS array, no per-sample object); its events and anything else go through
 * protobufjs. Repeated occurrences of a column are concatenated, as protobuf merges them.
 */
export function decodeAgentMessage(buf: Uint8Array): AgentMessage {
  if (LITTLE_ENDIAN && buf.length > 0 && buf[0] === BATCH_FIELD_TAG) {
    const r = new Reader(buf);
    r.pos = 1;
    const len = r.varint();
    if (r.pos + len === buf.length) {
      const batch = decodeSampleBatch(buf.subarray(r.pos, r.pos + len));
      return { batch, body: 'batch' } as unknown as AgentMessage;
    }
  }
  return pb.AgentMessage.decode(buf);
}

/** The columns as typed arrays; what the brain's session reads of a SampleBatch. */
export interface DecodedBatch {
  seq: number;
  series: Uint32Array;
  values: Float64Array;
  timeUs: Float64Array;
  events: IEvent[];
  cumulativeSamples: number;
  droppedBatches: number;
  droppedSamples: number;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const n = this.varint(); // read before pos: `pos += varint()` would add to the old pos
      this.pos += n;
    } else if (wire === 5) this.pos += 4;
    else throw new Error(`wire type ${wire} not supported`);
    if (this.pos > this.buf.length) throw new Error('truncated field');
  }
}

export function decodeSampleBatch(buf: Uint8Array): DecodedBatch {
  // Pass 1: how many of each column, and where the rest is.
  const r = new Reader(buf);
  let nSeries = 0;
  let nValues = 0;
  let nTimes = 0;
  const out: DecodedBatch = {
    seq: 0,
    series: EMPTY_U32,
    values: EMPTY_F64,
    timeUs: EMPTY_F64,
    events: [],
    cumulativeSamples: 0,
    droppedBatches: 0,
    droppedSamples: 0,
  };
  while (r.pos < buf.length) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 2) {
      const end = r.varint() + r.pos;
      if (end > buf.length) throw new Error('truncated series column');
      for (let p = r.pos; p < end; p++) if (buf[p]! < 0x80) nSeries++;
      r.pos = end;
    } else if (field === 2 && wire === 0) {
      r.varint();
      nSeries++;
    } else if ((field === 3 || field === 4) && wire === 2) {
      const n = r.varint();
      if (n % 8 !== 0 || r.pos + n > buf.length) throw new Error('bad double column');
      if (field === 3) nValues += n / 8;
      else nTimes += n / 8;
      r.pos += n;
    } else if ((field === 3 || field === 4) && wire === 1) {
      if (field === 3) nValues++;
      else nTimes++;
      r.pos += 8;
    } else if (field === 1 && wire === 0) out.seq = r.varint();
    else if (field === 6 && wire === 0) out.cumulativeSamples = r.varint();
    else if (field === 7 && wire === 0) out.droppedBatches = r.varint();
    else if (field === 8 && wire === 0) out.droppedSamples = r.varint();
    else if (field === 5 && wire === 2) {
      const n = r.varint();
      if (r.pos + n > buf.length) throw new Error('truncated event');
      out.events.push(pb.Event.decode(buf.subarray(r.pos, r.pos + n)));
      r.pos += n;
    } else r.skip(wire);
  }
  if (r.pos !== buf.length) throw new Error('truncated batch');
  // Pass 2: the columns, each one copy of its bytes.
  out.series = nSeries ? new Uint32Array(nSeries) : EMPTY_U32;
  out.values = nValues ? new Float64Array(nValues) : EMPTY_F64;
  out.timeUs = nTimes ? new Float64Array(nTimes) : EMPTY_F64;
  const valueBytes = new Uint8Array(out.values.buffer);
  const timeBytes = new Uint8Array(out.timeUs.buffer);
  let [s, v, t] = [0, 0, 0];
  r.pos = 0;
  while (r.pos < buf.length) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 2) {
      const end = r.varint() + r.pos;
      while (r.pos < end) out.series[s++] = r.varint();
    } else if (field === 2 && wire === 0) out.series[s++] = r.varint();
    else if ((field === 3 || field === 4) && (wire === 2 || wire === 1)) {
      const n = wire === 2 ? r.varint() : 8;
      if (field === 3) {
        valueBytes.set(buf.subarray(r.pos, r.pos + n), v * 8);
        v += n / 8;
      } else {
        timeBytes.set(buf.subarray(r.pos, r.pos + n), t * 8);
        t += n / 8;
      }
      r.pos += n;
    } else r.skip(wire);
  }
  return out;
}

/** Protobuf's doubles are little-endian: copied as they are into a Float64Array on such a host only. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
