/**
 * The main thread's side of the ingest worker (brain/ingest/ingest-worker.ts, `ingest.worker:
 * true`): starts the worker, applies what it sends to the state the alerting path reads (agent
 * records, series and their latest values, events), appends the flush's spool records (encoded
 * by the worker) to the spool as one block and tells the worker when they are durable (it then
 * acknowledges them to the agents). Each flush costs this thread one message: loops over packed
 * columns in transferred buffers, no decoding, no per-sample or per-batch objects, no encoding or
 * CRC of spool records, one copy of the block into the spool's group and one promise.
 *
 * Liveness: time the worker did not read the agents' streams is not their silence. Its own
 * stalls, the time its reading was paused (backpressure) and the hand-over's delay (how late this
 * thread applies a flush) are discounted like the main thread's stalls (AgentRegistry.discount),
 * all measured on one clock both threads read (HandoverLag).
 */
import { Worker } from 'node:worker_threads';
import { processMonotonicMs, type Timer } from '../../lib/clock.js';
import type { BrainConfig } from '../config.js';
import { INGEST_LAG, type IngestMetrics } from '../ingest/metrics.js';
import type { AgentRecord } from '../ingest/agents.js';
import {
  HEARD_FIELDS,
  HEARD_STRIDE,
  STORED_STRIDE,
  type Flush,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
  type WorkerStats,
} from '../ingest/worker-protocol.js';
import type { BrainSeries } from '../state/series-table.js';
import { HandoverLag } from './handover-lag.js';
import type { IngestDeps } from './ingest.js';

export interface IngestWorkerHandle {
  readonly port: number;
  close(): Promise<void>;
}

export async function startIngestWorker(
  config: BrainConfig,
  d: Omit<IngestDeps, 'accepting'>,
  im: IngestMetrics,
  /** The clock the worker stamps its messages with (processMonotonicMs: both threads read it). */
  handoverClock: () => number = processMonotonicMs,
): Promise<IngestWorkerHandle> {
  const { agents, series, events, store } = d;
  const file = new URL(import.meta.url.endsWith('.ts') ? '../ingest/ingest-worker.ts' : '../ingest/ingest-worker.js', import.meta.url);
  const init: WorkerInit = {
    config,
    logLevel: (d.log as { level?: string }).level ?? 'info',
    recovered: agents.checkpoint(),
    spool: store.persist !== undefined,
    maxQueuedBatches: config.ingest.max_queued_batches,
    maxQueuedBytes: config.ingest.max_queued_bytes,
    lagBuckets: INGEST_LAG.buckets,
  };
  // From sources (tests, benches under tsx) the worker registers tsx itself: a worker thread does
  // not inherit the main thread's module hooks.
  const worker = file.pathname.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`,
        { eval: true, workerData: init },
      )
    : new Worker(file, { workerData: init });
  const send = (m: ToWorker) => worker.postMessage(m);
  /** Worker series index → the main thread's series (plant health interns here too, so they differ). */
  const byIndex: (BrainSeries | undefined)[] = [];
  let stats: WorkerStats | undefined;
  const last = new Map<string, number>();
  /** The worker's agent numbers → the records here. */
  const byAgent: (AgentRecord | undefined)[] = [];
  let processing = 0;
  let pendingDurable = 0;
  // What liveness discounts (see the header).
  const lag = new HandoverLag(handoverClock);
  agents.discount(lag);

  const counters = im as unknown as Record<string, { inc(by: number, labels?: Record<string, string>): void }>;
  d.metrics.gaugeFn(
    'floorwatch_ingest_queued_batches',
    "Batches the ingest worker read and the alerting side has not yet processed (or, with the spool, not yet made durable): the worker's queue depth.",
    () => stats?.queuedBatches ?? 0,
  );
  d.metrics.gaugeFn(
    'floorwatch_ingest_queued_bytes',
    "Bytes the ingest worker handed over and the alerting side has not yet processed (or, with the spool, not yet made durable): the worker's queue in bytes.",
    () => stats?.queuedBytes ?? 0,
  );
  d.metrics.gaugeFn(
    'floorwatch_ingest_handover_delay_seconds',
    'How late the alerting thread applied the last flush from the ingest worker (its queue, in time).',
    () => lag.delayMs / 1000,
  );
  d.metrics.histogramFn(INGEST_LAG.name, INGEST_LAG.help, INGEST_LAG.buckets, () => stats?.lag ?? { buckets: [], sum: 0, count: 0 });
  d.metrics.gaugeFn(
    'floorwatch_ingest_paused_streams',
    'Agent streams not read while the ingest queue is full (backpressure: the agents keep their batches).',
    () => stats?.pausedStreams ?? 0,
  );
  d.metrics.counterFn(
    'floorwatch_ingest_paused_seconds_total',
    'Time the ingest worker stopped reading agent streams because its queue was full: the load shed by slowing agents down.',
    () => (stats?.pausedMsTotal ?? 0) / 1000,
  );
  d.metrics.counterFn(
    'floorwatch_ingest_pauses_total',
    'Times the ingest worker stopped reading agent streams (queue full).',
    () => stats?.pauses ?? 0,
  );
  d.metrics.counterFn(
    'floorwatch_ingest_samples_folded_total',
    'Samples not handed to the alerting side because a newer one of the same series came in the same flush (fields without a chart: the rules read the latest value); each is still stored.',
    () => stats?.samplesFolded ?? 0,
  );
  d.metrics.gaugeFn(
    'floorwatch_ingest_flush_seconds',
    'Time the alerting thread spent on the last flush from the ingest worker.',
    () => processing / 1000,
  );

  const apply = (f: Flush) => {
    const t0 = performance.now();
    lag.applied(f.sentAtMs, f.stalledMs);
    for (const s of f.agents) {
      const a = agents.ensure(s.id);
      byAgent[s.index] = a;
      a.host = s.host;
      a.labels = s.labels;
      a.softwareVersion = s.softwareVersion;
      if (s.inventory) a.inventory = s.inventory;
      a.runId = s.runId;
      a.peer = s.peer;
      a.connected = s.connected;
    }
    const h = f.heard;
    for (let i = 0; i < h.length; i += HEARD_STRIDE) {
      const a = byAgent[h[i]!];
      if (!a) continue;
      // With the spool this side makes batches durable (and acked); without, the worker acks at once.
      const acked = h[i + 2]!;
      a.receivedSeq = h[i + 1]!;
      if (acked > a.ackedSeq) a.ackedSeq = acked;
      for (let k = 2; k < HEARD_FIELDS.length; k++) (a as unknown as Record<string, number>)[HEARD_FIELDS[k]!] = h[i + 1 + k]!;
      agents.heard(a);
    }
    for (const s of f.series) byIndex[s.index] = series.intern(s.agentId, s.agentTags, s.def);
    const x = f.samples;
    for (let i = 0; i < x.length; i += 3) {
      const s = byIndex[x[i]!];
      const t = x[i + 2]!;
      if (s && t >= s.lastUs) {
        const v = x[i + 1]!;
        s.last = v;
        s.lastUs = t;
        if (s.recent && Number.isFinite(v)) s.recent.add(t, v);
      }
    }
    for (const e of f.events) events.publish({ ...e, source: 'agent' });
    const b = f.stored;
    if (store.persistRecords && b.length) {
      const batchCount = b.length / STORED_STRIDE;
      pendingDurable += batchCount;
      store.persistRecords(f.records, f.recordLines).then(
        () => {
          pendingDurable -= batchCount;
          // Main's acked seqs: the checkpoint written before spool segments are deleted holds them.
          for (let i = 0; i < b.length; i += STORED_STRIDE) {
            const a = byAgent[b[i]!];
            if (a) agents.stored(a, b[i + 1]!);
          }
          send({ type: 'done', n: f.n });
        },
        (err: Error) => d.log.error({ flush: f.n, batches: batchCount, err: err.message }, 'spool append failed'),
      );
    } else {
      send({ type: 'done', n: f.n });
    }
    processing = performance.now() - t0;
  };
  d.metrics.gaugeFn(
    'floorwatch_ingest_pending_durable_batches',
    'Batches appended to the spool and not yet durable (their acks wait).',
    () => pendingDurable,
  );

  const applyStats = (s: WorkerStats) => {
    stats = s;
    for (const [name, values] of Object.entries(s.counters)) {
      for (const [key, value] of Object.entries(values)) {
        const id = `${name}\u0000${key}`;
        const delta = value - (last.get(id) ?? 0);
        last.set(id, value);
        if (delta > 0) counters[name]?.inc(delta, JSON.parse(key) as Record<string, string>);
      }
    }
    im.streamsOpen.set(s.streamsOpen);
  };

  let accepting = true;
  const acceptingTimer: Timer | undefined = store.persistAccepting
    ? d.clock.setInterval(() => {
        const now = store.persistAccepting!();
        if (now !== accepting) send({ type: 'accepting', accepting: (accepting = now) });
      }, 100)
    : undefined;

  const ready = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'flush':
          return apply(m);
        case 'pressure':
          return lag.pressure(m.paused, m.atMs);
        case 'stats':
          return applyStats(m);
        case 'log':
          return d.log[m.level](m.obj, m.msg);
        case 'ready':
          return resolve(m.port);
        case 'failed':
          return reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`ingest worker exited (${code}) before listening`)));
  });
  worker.on('error', (err) => d.log.error({ err: err.message }, 'ingest worker failed'));
  const port = await ready.catch(async (err: Error) => {
    await worker.terminate();
    acceptingTimer?.cancel();
    throw err;
  });
  return {
    port,
    close: async () => {
      acceptingTimer?.cancel();
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      send({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 3_000);
      await exited;
      clearTimeout(timer);
      for (const a of agents.all()) a.connected = false;
    },
  };
}
