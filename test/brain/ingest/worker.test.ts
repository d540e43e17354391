/**
 * Issue #15: agents' streams read on the ingest worker thread (`ingest.worker: true`). A real
 * brain with its spool, flooded by simulated agents sending as fast as their acks allow (bench
 * load generator, real gRPC), with a small queue bound so the worker must stop reading streams:
 * every batch acknowledged is stored exactly once (counts match), the backpressure is counted on
 * /metrics, and the alerting side sees the agents, their series' latest values and their events.
 * The worker encodes the spool records and main appends them as one block per flush: the spool
 * holds every accepted batch exactly once, and a batch is in it before its agent hears the ack.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { IngestClient } from '../../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, type BrainMessage } from '../../../proto/wire.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { SpoolTail } from '../../helpers/spool-tail.js';
import { waitFor, waitWhileProgressing } from '../../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../../..');

t.test(
  'on the worker: flooded agents are slowed by backpressure, every acknowledged sample is stored once, the alerting side sees agents, values and events',
  async (t) => {
    const dir = scratchDir(t);
    const brain = await startBrain(
      parseBrainConfig(`brain: {state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {enabled: true, fsync: true}
ingest: {worker: true, max_queued_batches: 100}
`),
      silentLogger,
    );
    t.teardown(() => brain.stop());

    // An agent of its own, to look at what the alerting side gets: its record, a value, an event.
    const client = new IngestClient(`127.0.0.1:${brain.grpcPort}`, grpc.credentials.createInsecure());
    t.teardown(() => client.close());
    const call = client.stream();
    const acks: number[] = [];
    call.on('data', (m: BrainMessage) => {
      if (m.ack) acks.push(Number(m.ack.uptoSeq));
    });
    call.on('error', () => {});
    call.write({
      hello: { protocolVersion: PROTOCOL_VERSION, agentId: 'ws-look', host: 'ws-look', labels: { colour: 'red', desk: 'fx-1' } },
    });
    call.write({ series: { defs: [{ id: 0, measurement: 'memory', field: 'dirty_bytes', tags: {} }] } });
    call.write({
      rawBatch: encodeBatch({
        seq: 1,
        series: [0],
        values: [4242],
        timeUs: [Date.now() * 1000],
        events: [{ kind: 'nic.link', tags: { interface: 'eth1' }, attrs: { state: 'down' }, severity: 3 }],
      }),
    });
    const tail = new SpoolTail(`${dir}/brain/spool`);
    /** The agents' records in the spool (the brain's own lines, agent '', are not batches). */
    const spooled: string[] = [];
    await waitFor('ws-look acknowledged', () => (acks.includes(1) ? true : undefined));
    tail.poll((text, agentId) => void (agentId && spooled.push(text)));
    t.ok(
      spooled.some((text) => text.includes('dirty_bytes=4242')),
      `its batch was in the spool when its ack arrived (spool held ${spooled.length} records: ${spooled.join('').slice(0, 200)})`,
    );
    const look = brain.agents.get('ws-look');
    t.match(
      look,
      { host: 'ws-look', connected: true, labels: { colour: 'red' }, ackedSeq: 1, samplesReceived: 1 },
      'its record, on the alerting side',
    );
    const [dirty] = brain.series.select({ agentId: 'ws-look', measurement: 'memory' });
    t.equal(dirty?.value, 4242, 'its latest value, in the series table the rules read');
    t.ok(
      brain.events.recent({ kind: 'nic.link' }).some((e) => e.agentId === 'ws-look' && e.attrs['state'] === 'down'),
      'its event, on the event log',
    );

    const { result, loop } = await flood(t, brain.grpcPort, () => brain.agents.get('flood-0')?.samplesReceived);
    t.comment(
      `[timing] alerting thread's loop delay under the flood, ingest on the worker: p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms`,
    );
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await brain.metrics.render())?.[1] ?? NaN);
    t.ok(result.samples > 0, `${result.samples} samples acknowledged`);
    const flooded = [...brain.agents.all()].filter((a) => a.id.startsWith('flood-'));
    const received = flooded.reduce((n, a) => n + a.samplesReceived, 0);
    await waitFor(
      'the worker to report its counters',
      async () => ((await metric('floorwatch_ingest_samples_total')) === received + 1 ? true : undefined),
      { timeoutMs: 5_000 },
    );
    t.equal(received, result.samples, 'every acknowledged sample received once: no loss, no double');
    // The spool: every batch accepted is in it, once (the worker encoded the records, main appended them).
    const accepted = flooded.reduce((n, a) => n + a.batchesReceived, 0) + 1;
    let records = spooled.length;
    const inSpool = await waitFor(
      `the spool to hold the ${accepted} batches accepted`,
      () => {
        tail.poll((_, agentId) => void (agentId && records++));
        return records >= accepted ? records : undefined;
      },
      { timeoutMs: 10_000 },
    ).catch(() => records);
    t.equal(inSpool, accepted, "the spool holds every batch accepted from the agents, no more (the brain's own lines aside)");
    t.same(tail.storedTwice, [], 'no batch in the spool twice');
    t.equal(
      flooded.reduce((n, a) => n + a.duplicateBatches, 0),
      0,
      'no duplicate batch',
    );
    t.ok(
      (await metric('floorwatch_ingest_pauses_total')) > 0,
      `the worker stopped reading streams ${await metric('floorwatch_ingest_pauses_total')} times (queue bound 100)`,
    );
    t.ok((await metric('floorwatch_ingest_paused_seconds_total')) > 0, `for ${await metric('floorwatch_ingest_paused_seconds_total')} s`);
    t.match(await brain.metrics.render(), /^floorwatch_ingest_queued_batches \d+$/m, 'queue depth exported');
    t.match(await brain.metrics.render(), /^floorwatch_ingest_queued_bytes \d+$/m, 'queue bytes exported');
    // The worker's ingest-lag histogram, on the main thread's /metrics (one observation per batch taken).
    const lagCount = await metric('floorwatch_ingest_lag_seconds_count');
    const batches = await metric('floorwatch_ingest_batches_total');
    t.ok(lagCount > 0 && lagCount <= batches, `ingest lag observed ${lagCount} times (${batches} batches accepted)`);
    t.match(await brain.metrics.render(), /^floorwatch_ingest_lag_seconds_bucket\{le="\+Inf"\} \d+$/m, 'with its +Inf bucket');
    call.end();
  },
);

t.test("the same flood with ingest on the main thread (for comparison: its loop delay is the alerting path's)", async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(
    parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {enabled: true, fsync: true}\n`),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const { result, loop } = await flood(t, brain.grpcPort, () => brain.agents.get('flood-0')?.samplesReceived);
  t.comment(
    `[timing] alerting thread's loop delay under the flood, ingest on the main thread: p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms`,
  );
  t.equal(
    [...brain.agents.all()].reduce((n, a) => n + a.samplesReceived, 0),
    result.samples,
    'every acknowledged sample received once',
  );
});

t.test("on the worker: the alerting side gets each series' latest value per flush, and every sample of a charted field", async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(
    // With the spool an ack means the alerting side has applied the batch (without, the worker acks at once).
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {enabled: true, fsync: false}\ningest: {worker: true}\n`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const client = new IngestClient(`127.0.0.1:${brain.grpcPort}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const call = client.stream();
  const acks: number[] = [];
  call.on('data', (m: BrainMessage) => void (m.ack && acks.push(Number(m.ack.uptoSeq))));
  call.on('error', () => {});
  call.write({ hello: { protocolVersion: PROTOCOL_VERSION, agentId: 'ws-five', host: 'ws-five', labels: {} } });
  call.write({
    series: {
      defs: [
        { id: 0, measurement: 'memory', field: 'free_bytes', tags: {} },
        { id: 1, measurement: 'memory', field: 'dirty_bytes', tags: {} },
      ],
    },
  });
  // One batch of an agent flushing every 25 s: five samples of each series, 5 s apart.
  const t0 = (Math.floor(Date.now() / 5_000) - 5) * 5_000_000;
  const times = [0, 1, 2, 3, 4].map((i) => t0 + i * 5_000_000);
  call.write({
    rawBatch: encodeBatch({
      seq: 1,
      series: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
      values: [10, 11, 12, 13, 14, 20, 21, 22, 23, 24],
      timeUs: [...times, ...times],
    }),
  });
  await waitFor('ws-five acknowledged', () => (acks.includes(1) ? true : undefined));
  const [free] = brain.series.select({ agentId: 'ws-five', measurement: 'memory', field: 'free_bytes' });
  const [dirty] = brain.series.select({ agentId: 'ws-five', measurement: 'memory', field: 'dirty_bytes' });
  t.equal(free?.value, 14, 'the latest value of a field without a chart');
  t.equal(dirty?.value, 24, 'and of a charted one');
  const charted = dirty?.recent?.points(Date.now()).values.filter((v) => v !== null);
  t.same(charted, [20, 21, 22, 23, 24], "the charted field's ring has every sample (one per 5 s step)");
  const folded = await waitFor(
    'the worker to report the samples it folded',
    async () => {
      const n = Number(/^floorwatch_ingest_samples_folded_total (\S+)$/m.exec(await brain.metrics.render())?.[1] ?? NaN);
      return n > 0 ? n : undefined;
    },
    { timeoutMs: 5_000 },
  ).catch(() => 0);
  t.equal(folded, 4, 'four samples of the uncharted field folded into its latest, counted');
  t.equal(brain.agents.get('ws-five')?.samplesReceived, 10, 'all ten received (and stored)');
  call.end();
});

/** 40 agents sending 500-sample batches as fast as 8 unacknowledged allow, for 4 s; the brain thread's loop delay meanwhile. */
async function flood(
  t: Test,
  port: number,
  progress: () => unknown,
): Promise<{ result: { samples: number }; loop: { p99: number; max: number } }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gen = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/lib/loadgen.ts',
      '--brain',
      `127.0.0.1:${port}`,
      '--streams',
      '40',
      '--batch',
      '500',
      '--series',
      '500',
      '--window',
      '8',
      '--seconds',
      '4',
      '--prefix',
      'flood',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => void gen.kill('SIGKILL'));
  const lines: string[] = [];
  createInterface({ input: gen.stdout! }).on('line', (l) => lines.push(l));
  const result = await waitWhileProgressing(
    'the load generator to finish',
    () => (lines.length ? (JSON.parse(lines[0]!) as { samples: number }) : undefined),
    progress,
    { stallMs: 30_000 },
  );
  loop.disable();
  return { result, loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
}
