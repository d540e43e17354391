/**
 * The named detectors behind the brain's real ingest: a recorded memory-sampler stream of a
 * periodic dirty-memory flush, replayed over a real gRPC stream into a real brain, becomes one
 * DirtyMemoryFlushStorm incident for its host, with the period and the peak.
 */
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { IngestClient } from '../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, type BrainMessage } from '../../proto/wire.js';
import { flushRecording, periodic } from '../brain/detect/recordings.js';
import { scratchDir } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';

t.test('a periodic flush storm streamed by an agent is one host-level incident with its period and peak', async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {enabled: false}\ndetectors: {dirty_flush: {window_ms: 60000}}\n`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  // A 2 s flush cycle, sampled every 250 ms: the recording's 1 s steps played at four times the speed.
  const peaks = periodic(8_000, 5, 8_000);
  const samples = flushRecording({ peaksAt: peaks, peakBytes: 1.2 * 1024 ** 3, rampMs: 4_000, untilMs: peaks.at(-1)! + 2_000 });
  const series = ['memory/dirty_bytes', 'memory/dirty_threshold_bytes', 'disk/write_bytes'];
  const client = new IngestClient(`127.0.0.1:${brain.grpcPort}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.stream();
  t.teardown(() => call.end());
  const welcomed = new Promise<void>((res) => call.on('data', (m: BrainMessage) => m.welcome && res()));
  call.on('error', () => undefined);
  call.write({ hello: { protocolVersion: PROTOCOL_VERSION, agentId: 'tp-host-a', host: 'tp-host-a', labels: { role: 'server' } } });
  call.write({
    series: {
      defs: series.map((s, id) => {
        const [measurement, field] = s.split('/') as [string, string];
        const tags: Record<string, string> = measurement === 'disk' ? { device: 'vda' } : {};
        return { id, measurement, field, tags };
      }),
    },
  });
  await welcomed;
  const start = Date.now();
  let seq = 0;
  for (const at of [...new Set(samples.map((s) => s.at))]) {
    const step = samples.filter((s) => s.at === at);
    const due = start + at / 4 - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    // The recording's own time (at 4×), not the moment of sending: a late send on a busy machine
    // must not change the period the detector measures from the samples' timestamps.
    const timeUs = (start + at / 4) * 1000;
    call.write({
      rawBatch: encodeBatch({
        seq: ++seq,
        series: step.map((s) => series.indexOf(`${s.measurement}/${s.field}`)),
        values: step.map((s) => s.value),
        timeUs: step.map(() => timeUs),
      }),
    });
  }
  const inc = await waitFor(
    'the flush-storm incident',
    () =>
      brain.incidents
        .list({ status: 'active' })
        .map((s) => brain.incidents.get(s.id))
        .find((i) => i.roots[0]?.alertname === 'DirtyMemoryFlushStorm'),
    { timeoutMs: 5_000 },
  );
  t.equal(brain.incidents.list().length, 1, 'one incident');
  t.match(
    inc.title,
    /^dirty memory flush storm on tp-host-a: every 2\.\d s dirty memory rises to 1229 MiB \(60% of the dirty threshold\) and a write burst drains it$/,
  );
  const alert = brain.events.recent({ kind: 'alert.firing' }).find((e) => e.tags['alertname'] === 'DirtyMemoryFlushStorm')!;
  t.match(alert.tags, { agent: 'tp-host-a', host: 'tp-host-a' });
  t.ok(Math.abs(Number(alert.attrs['period_ms']) - 2_000) <= 300, `period ${alert.attrs['period_ms']} ms`);
  t.equal(alert.attrs['peak_bytes'], String(Math.round(1.2 * 1024 ** 3)));
});
