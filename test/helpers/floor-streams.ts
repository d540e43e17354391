/**
 * Many simulated workstation agents in one process, cheaply: `count` gRPC streams, `per` of them
 * sharing one connection (workstations.ts gives each its own), each a workstation of `colour`
 * (hello with host and labels, one series, one sample every `periodMs` at a random phase).
 * SIGKILL the process and all of them go silent at once: a colour going dark on a large floor.
 * Prints `ready` when the brain has welcomed every stream.
 *   node --import tsx test/helpers/floor-streams.ts <brain host:port> <colour> <id prefix> <count> [periodMs=1000] [per=250]
 */
import * as grpc from '@grpc/grpc-js';
import { IngestClient } from '../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, type BrainMessage } from '../../proto/wire.js';

const [brain, colour, prefix, countArg, periodArg, perArg] = process.argv.slice(2) as [string, string, string, string, string?, string?];
const count = Number(countArg);
const periodMs = Number(periodArg ?? 1000);
const per = Number(perArg ?? 250);
let welcomed = 0;
let client: IngestClient | undefined;

for (let i = 0; i < count; i++) {
  // A client of its own (local subchannel pool) every `per` streams: one connection each.
  if (i % per === 0)
    client = new IngestClient(brain, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_concurrent_streams': per,
    } as grpc.ClientOptions);
  const id = `${prefix}-${i + 1}`;
  const call = client!.stream();
  let seq = 0;
  call.on('data', (m: BrainMessage) => {
    if (!m.welcome) return;
    seq = Number(m.welcome.ackedSeq);
    if (++welcomed === count) console.log('ready');
    const send = () =>
      call.write({ rawBatch: encodeBatch({ seq: ++seq, series: [0], values: [Math.random() * 1e7], timeUs: [Date.now() * 1000] }) });
    setTimeout(() => {
      send();
      setInterval(send, periodMs);
    }, Math.random() * periodMs);
  });
  call.on('error', () => process.exit(1));
  call.write({
    hello: {
      protocolVersion: PROTOCOL_VERSION,
      agentId: id,
      host: id,
      labels: { floor: 'ldn-3', desk: `desk-${Math.floor(i / 10) + 1}`, colour, role: 'workstation' },
    },
  });
  call.write({ series: { defs: [{ id: 0, measurement: 'memory', field: 'dirty_bytes', tags: {} }] } });
}
