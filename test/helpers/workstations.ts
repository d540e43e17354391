/**
 * Simulated workstation agents in one process: one gRPC stream each (as real agents have),
 * announcing host and labels (floor, desk, colour, role) and sending a sample every 250 ms.
 * SIGKILL the process and every one of them goes silent at once (a hub or power circuit lost).
 * Prints `ready` when the brain has welcomed them all.
 *   node --import tsx test/helpers/workstations.ts <brain host:port> <colour> <id,id,...>
 */
import * as grpc from '@grpc/grpc-js';
import { IngestClient } from '../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, type BrainMessage } from '../../proto/wire.js';

const [brain, colour, idList] = process.argv.slice(2) as [string, string, string];
const ids = idList.split(',');
let welcomed = 0;

for (const [i, id] of ids.entries()) {
  const client = new IngestClient(brain, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = client.stream();
  let seq = 0;
  call.on('data', (m: BrainMessage) => {
    if (!m.welcome) return;
    seq = Number(m.welcome.ackedSeq);
    if (++welcomed === ids.length) console.log('ready');
    setInterval(
      () => call.write({ rawBatch: encodeBatch({ seq: ++seq, series: [0], values: [Math.random() * 1e7], timeUs: [Date.now() * 1000] }) }),
      250,
    );
  });
  call.on('error', () => process.exit(1));
  call.write({
    hello: {
      protocolVersion: PROTOCOL_VERSION,
      agentId: id,
      host: id,
      labels: { floor: 'ldn-3', desk: `fx-${i + 1}`, colour, role: 'workstation' },
    },
  });
  call.write({ series: { defs: [{ id: 0, measurement: 'memory', field: 'dirty_bytes', tags: {} }] } });
}
