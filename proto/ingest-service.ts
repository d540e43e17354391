/**
 * The Ingest service for grpc-js: the brain's server, and the Node clients of tests and
 * benchmarks. The agent does not use it (it must not load grpc-js; proto/wire.ts).
 */
import * as grpc from '@grpc/grpc-js';
import {
  INGEST_STREAM_PATH,
  decodeAgentMessage,
  encodeAgentMessage,
  pb,
  type AgentMessage,
  type BrainMessage,
  type IBrainMessage,
  type OutgoingAgentMessage,
} from './wire.js';

/**
 * The Ingest service for grpc-js. Messages are built fresh for every write: grpc-js may
 * serialise a written message later under backpressure (feasibility.md, traps).
 */
export const ingestService = {
  stream: {
    path: INGEST_STREAM_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeAgentMessage,
    requestDeserialize: decodeAgentMessage,
    responseSerialize: (msg: IBrainMessage): Buffer => Buffer.from(pb.BrainMessage.encode(msg).finish()),
    responseDeserialize: (buf: Buffer): BrainMessage => pb.BrainMessage.decode(buf),
  },
} satisfies grpc.ServiceDefinition;

export type IngestStream = grpc.ServerDuplexStream<AgentMessage, IBrainMessage>;
export type IngestClientStream = grpc.ClientDuplexStream<OutgoingAgentMessage, BrainMessage>;

export interface IngestClient extends grpc.Client {
  stream(metadata?: grpc.Metadata, options?: grpc.CallOptions): IngestClientStream;
}

export const IngestClient = grpc.makeGenericClientConstructor(ingestService, 'Ingest') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => IngestClient;
