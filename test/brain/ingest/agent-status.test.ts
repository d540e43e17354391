/**
 * AgentStatus (proto/floorwatch.proto): the agent's own condition sent outside its queue (its
 * state disk full, then ok). The brain publishes it for the rules with the agent's own host (an
 * agent speaks for its disk, never another host's), takes at most 16 events a message, and stores
 * nothing of it with a seq (acked_seq does not move).
 */
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { IngestClient } from '../../../proto/ingest-service.js';
import { PROTOCOL_VERSION, type BrainMessage } from '../../../proto/wire.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

const dir = scratchDir(t);
const brain = await startBrain(
  parseBrainConfig(`
brain: {id: brain-status, state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
access: {anonymous_read: true}
`),
  silentLogger,
);
t.teardown(() => brain.stop());

t.test("an agent's status events reach the rules with its own host, bounded", async (t) => {
  const client = new IngestClient(`127.0.0.1:${brain.grpcPort}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.stream();
  t.teardown(() => call.cancel());
  const welcomed = new Promise<BrainMessage>((resolve) => call.on('data', (m: BrainMessage) => m.welcome && resolve(m)));
  call.on('error', () => {});
  call.write({ hello: { protocolVersion: PROTOCOL_VERSION, agentId: 'ws-status', host: 'ws-status', labels: { floor: 'test' } } });
  await welcomed;
  const fault = (i: number) => ({
    timeUs: Date.now() * 1000 + i,
    kind: 'state_disk.full',
    tags: { host: 'the-brain' },
    attrs: { store: 'queue', code: 'ENOSPC', path: '/var/lib/floorwatch/agent/queue' },
    severity: 3,
  });
  call.write({ status: { events: Array.from({ length: 20 }, (_, i) => fault(i)) } });
  const seen = await waitFor('the status events published', async () => {
    const e = brain.events.recent({ kind: 'state_disk.full' });
    return e.length >= 16 ? e : undefined;
  });
  await new Promise((r) => setTimeout(r, 300));
  const all = brain.events.recent({ kind: 'state_disk.full' });
  t.equal(all.length, 16, `16 of the 20 events taken (${all.length})`);
  t.same([...new Set(seen.map((e) => e.tags['host']))], ['ws-status'], 'every one with the agent’s own host, not the one it claimed');
  t.same(seen[0]!.attrs, { store: 'queue', code: 'ENOSPC', path: '/var/lib/floorwatch/agent/queue' }, 'attrs as sent');
  t.equal(seen[0]!.agentId, 'ws-status');
  t.equal(brain.agents.get('ws-status')?.ackedSeq ?? 0, 0, 'nothing stored with a seq');
});
