/**
 * The wire's messages and codec: the only module touching the generated protobufjs code. It
 * does not load @grpc/grpc-js: the agent speaks gRPC with its own client
 * (agent/transport/grpc-stream-client.ts); grpc-js users import proto/ingest-service.ts.
 */
import { floorwatch } from './gen/floorwatch.js';

export const pb = floorwatch.v1;
export type AgentMessage = floorwatch.v1.AgentMessage;
export type IAgentMessage = floorwatch.v1.IAgentMessage;
export type BrainMessage = floorwatch.v1.BrainMessage;
export type IBrainMessage = floorwatch.v1.IBrainMessage;
export type IHello = floorwatch.v1.IHello;
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
