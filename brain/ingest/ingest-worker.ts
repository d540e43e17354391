/**
 * The ingest worker (issue #15): the agents' gRPC streams, read on a thread of their own so the
 * alerting path (plant heartbeats, rules, detectors, correlation, incidents, paging) on the main
 * thread never waits behind sample ingest. Here: HTTP/2 and grpc-js, protobuf decode, hello
 * checks, dedupe by (agent, seq), series lookup, each batch's line protocol and its spool record
 * (header, CRC, the lines: brain/store/spool-record.ts), and the acks. What
 * the alerting side needs goes to it at most once every 10 ms (worker-protocol.ts: packed columns
 * in transferred buffers; an object only for a new agent or series and for an event).
 *
 * Backpressure: flushes handed to the main thread and not yet done (applied, and with the spool
 * durable) are this queue, counted in batches and in bytes. At `maxQueuedBatches` or
 * `maxQueuedBytes` every stream that said hello is paused (its HTTP/2 flow-control window fills,
 * the agent stops sending and keeps its batches in its disk queue, unacknowledged); below half of
 * both they are resumed. Pauses and the time paused are counted (floorwatch_ingest_paused_*): the
 * load the brain shed by slowing the agents down; main is told at once (`pressure`), as liveness
 * does not count that time as the agents' silence.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { processMonotonicMs, systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import type { Counter, Gauge } from '../../lib/metrics.js';
import type { IngestStream } from '../../proto/ingest-service.js';
import type { BrainConfig } from '../config.js';
import { EventLog } from '../state/event-log.js';
import { LoopWatch } from '../state/loop-watch.js';
import { isCharted } from '../state/recent-ring.js';
import { SeriesTable } from '../state/series-table.js';
import { LineBuffer } from '../store/line-buffer.js';
import { encodeSpoolRecord, spoolRecordSize } from '../store/spool-record.js';
import { loadAgentPush } from './agent-push.js';
import { AgentRegistry, type AgentRecord } from './agents.js';
import { LagBuckets, type IngestMetrics } from './metrics.js';
import { certIdentities, startIngestServer } from './server.js';
import { IngestSession } from './session.js';
import {
  HEARD_FIELDS,
  HEARD_STRIDE,
  STORED_STRIDE,
  type AgentSnapshot,
  type Flush,
  type FromWorker,
  type ToWorker,
  type WorkerEvent,
  type WorkerInit,
} from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const config = init.config as BrainConfig;
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);
const clock = systemClock;

/** Counters and gauges kept here, sent to the main thread's registry as absolute values. */
class Tally {
  readonly values = new Map<string, number>();
  inc(by = 1, labels: Record<string, string> = {}): void {
    const k = JSON.stringify(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  set(value: number, labels: Record<string, string> = {}): void {
    this.values.set(JSON.stringify(labels), value);
  }
  get(labels: Record<string, string> = {}): number {
    return this.values.get(JSON.stringify(labels)) ?? 0;
  }
}
/** Accepted batches are counted here: the queue depth. */
class BatchTally extends Tally {
  override inc(by = 1, labels: Record<string, string> = {}): void {
    super.inc(by, labels);
    batchCount += by;
    schedule();
  }
}
const tallies = {
  batches: new BatchTally(),
  samples: new Tally(),
  events: new Tally(),
  duplicateBatches: new Tally(),
  missingBatches: new Tally(),
  refusedStreams: new Tally(),
  refusedBatches: new Tally(),
  refusedConnections: new Tally(),
  streamsOpen: new Tally(),
};
const lag = new LagBuckets(init.lagBuckets);
const metrics = { ...tallies, ingestLag: lag } as unknown as IngestMetrics & Record<string, Counter | Gauge>;

// The log goes to the main thread's logger.
const log = createLogger({ level: init.logLevel });
for (const level of ['info', 'warn', 'error'] as const) {
  log[level] = ((obj: Record<string, unknown> | string, msg?: string) =>
    typeof obj === 'string' ? post({ type: 'log', level, obj: {}, msg: obj }) : post({ type: 'log', level, obj, msg: msg ?? '' })) as never;
}

// --- what the next flush carries ---
let flushN = 0;
let scheduled = false;
const heard = new Set<AgentRecord>();
const changed = new Set<AgentRecord>();
/** The worker's number for each agent (Flush.heard and .stored name agents by it), and the inventory last sent. */
const agentIndex = new Map<string, number>();
const inventorySent = new WeakMap<AgentRecord, unknown>();
let declared: Flush['series'] = [];
let samples = new Float64Array(3 * 4096);
let sampleCount = 0;
/**
 * What the alerting side needs of the samples is each series' latest value (the rules read
 * `value`), and every sample only of a charted field (its ring feeds the wall board's charts). A
 * series that is not charted takes one slot per flush, overwritten by its newer samples: an
 * agent flushing every 5 s sends 5 samples a series in one batch, and main applies one.
 * `slotFlush[i]` is the flush in which series i last took slot `slotOf[i]`.
 */
let slotOf = new Int32Array(4096);
let slotFlush = new Float64Array(4096);
let chartedSeries = new Uint8Array(4096);
/** Samples folded into a newer one of the same series and flush: not handed over (each is stored). */
let samplesFolded = 0;
let events: WorkerEvent[] = [];
/** With the spool: the flush's batches as spool records, back to back, and their (agent, seq). */
let records = Buffer.allocUnsafe(1 << 20);
let recordsUsed = 0;
let recordLines = 0;
let stored = new Float64Array(STORED_STRIDE * 1024);
let storedCount = 0;
/** Batches accepted since the last flush (with or without the spool): what the queue depth counts. */
let batchCount = 0;
/** The persist promises of the batches in the next flush, resolved when main says it is done. */
let resolves: (() => void)[] = [];

/** Flushes handed over and not yet done: what the queue bounds count. */
const pending = new Map<number, { batches: number; bytes: number; resolves: (() => void)[] }>();
let pendingBatches = 0;
let pendingBytes = 0;

/** The worker's own stalls: liveness on main does not count them as agents' silence. */
const loopWatch = new LoopWatch({ clock, events: new EventLog({ clock, capacity: 1 }), host: '', behindMs: Number.POSITIVE_INFINITY });
loopWatch.start();

/**
 * At most one flush every FLUSH_MS: at once when the last was longer ago (a quiet floor's event
 * waits for nothing), else when FLUSH_MS have passed. One message per batch cost the main thread
 * more than the batches (5,000 flushes, replies and durable notices a second at 5,000 agents).
 */
const FLUSH_MS = 10;
let lastFlush = 0;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  const wait = lastFlush + FLUSH_MS - performance.now();
  if (wait <= 0) setImmediate(flush);
  else setTimeout(flush, wait);
}

function flush(): void {
  scheduled = false;
  lastFlush = performance.now();
  if (!heard.size && !changed.size && !declared.length && !sampleCount && !events.length && !batchCount) return;
  for (const a of heard) if (a.inventory !== inventorySent.get(a)) changed.add(a);
  const agents: AgentSnapshot[] = [];
  for (const a of changed) {
    agents.push(snapshot(a));
    inventorySent.set(a, a.inventory);
  }
  const heardOut = new Float64Array(heard.size * HEARD_STRIDE);
  let at = 0;
  for (const a of heard) {
    heardOut[at++] = indexOf(a.id);
    for (const f of HEARD_FIELDS) heardOut[at++] = a[f];
  }
  const samplesOut = samples.slice(0, sampleCount * 3);
  const storedOut = stored.slice(0, storedCount * STORED_STRIDE);
  // A copy the size of this flush's records: the working buffer stays (and stays big enough).
  const recordsOut = new Uint8Array(recordsUsed);
  recordsOut.set(records.subarray(0, recordsUsed));
  // Objects are counted at a rough size: what the bound needs is their order of magnitude.
  const bytes =
    heardOut.byteLength +
    samplesOut.byteLength +
    storedOut.byteLength +
    recordsOut.byteLength +
    512 * (agents.length + declared.length + events.length);
  const msg: Flush = {
    type: 'flush',
    n: ++flushN,
    sentAtMs: processMonotonicMs(),
    agents,
    heard: heardOut,
    series: declared,
    samples: samplesOut,
    events,
    stored: storedOut,
    records: recordsOut,
    recordLines,
    batchCount,
    bytes,
    stalledMs: loopWatch.stalledMsNow(),
  };
  post(msg, [heardOut.buffer, samplesOut.buffer, storedOut.buffer, recordsOut.buffer]);
  pending.set(msg.n, { batches: batchCount, bytes, resolves });
  pendingBatches += batchCount;
  pendingBytes += bytes;
  heard.clear();
  changed.clear();
  declared = [];
  sampleCount = 0;
  events = [];
  recordsUsed = 0;
  recordLines = 0;
  storedCount = 0;
  batchCount = 0;
  resolves = [];
  pressure();
}

function indexOf(id: string): number {
  let i = agentIndex.get(id);
  if (i === undefined) agentIndex.set(id, (i = agentIndex.size));
  return i;
}

function snapshot(a: AgentRecord): AgentSnapshot {
  return {
    index: indexOf(a.id),
    id: a.id,
    host: a.host,
    labels: a.labels,
    softwareVersion: a.softwareVersion,
    inventory: a.inventory,
    runId: a.runId,
    peer: a.peer,
    connected: a.connected,
    receivedSeq: a.receivedSeq,
    ackedSeq: a.ackedSeq,
    samplesReceived: a.samplesReceived,
    batchesReceived: a.batchesReceived,
    duplicateBatches: a.duplicateBatches,
    missingBatches: a.missingBatches,
    agentCumulativeSamples: a.agentCumulativeSamples,
    agentDroppedSamples: a.agentDroppedSamples,
  };
}

// --- the state ingest keeps: dedupe records, series (their line prefixes), events to forward ---
const workerEvents = new EventLog({ clock, capacity: 16 });
workerEvents.subscribe((e) => {
  events.push({ timeUs: e.timeUs, kind: e.kind, agentId: e.agentId, tags: e.tags, attrs: e.attrs, values: e.values, severity: e.severity });
  schedule();
});
class WorkerAgents extends AgentRegistry {
  override heard(a: AgentRecord): void {
    super.heard(a);
    heard.add(a);
    schedule();
  }
}
const registry = new WorkerAgents({ clock, events: workerEvents, silentAfterMs: Number.MAX_SAFE_INTEGER });
for (const [id, seq] of Object.entries(init.recovered)) registry.recovered(id, seq);

class WorkerSeries extends SeriesTable {
  override intern(...args: Parameters<SeriesTable['intern']>): ReturnType<SeriesTable['intern']> {
    const before = this.size;
    const s = super.intern(...args);
    if (s && this.size > before) {
      declared.push({ index: s.index, agentId: args[0], agentTags: args[1], def: args[2] });
      growSeriesColumns(s.index + 1);
      chartedSeries[s.index] = isCharted(s.measurement, s.field) ? 1 : 0;
    }
    return s;
  }
}
function growSeriesColumns(n: number): void {
  if (n <= slotOf.length) return;
  const size = Math.max(n, slotOf.length * 2);
  const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const b = make(size);
    b.set(a as never);
    return b;
  };
  slotOf = grow(slotOf, (n) => new Int32Array(n));
  slotFlush = grow(slotFlush, (n) => new Float64Array(n));
  chartedSeries = grow(chartedSeries, (n) => new Uint8Array(n));
}

// No recent-value rings here: the wall board's charts are kept by the main thread's table.
const series = new WorkerSeries(config.limits.max_series_total, 0);

// --- persisting through the main thread's spool ---
let accepting = true;
/**
 * The batch's spool record is encoded here (the CRC and the copy of its lines are this thread's
 * work); main appends the flush's records as one block and says `done` once it is durable, and
 * only then is the batch acknowledged (its promise resolves).
 */
function persist(agentId: string, seq: number, n: number, bytes: Uint8Array): Promise<void> {
  const size = spoolRecordSize(agentId, bytes.length);
  if (recordsUsed + size > records.length) {
    const bigger = Buffer.allocUnsafe(Math.max(records.length * 2, recordsUsed + size));
    records.copy(bigger, 0, 0, recordsUsed);
    records = bigger;
  }
  recordsUsed = encodeSpoolRecord(records, recordsUsed, agentId, seq, n, bytes);
  recordLines += n;
  if (STORED_STRIDE * (storedCount + 1) > stored.length) {
    const bigger = new Float64Array(stored.length * 2);
    bigger.set(stored);
    stored = bigger;
  }
  const at = STORED_STRIDE * storedCount++;
  stored[at] = indexOf(agentId);
  stored[at + 1] = seq;
  schedule();
  return new Promise((resolve) => resolves.push(resolve));
}

// --- backpressure ---
const calls = new Set<IngestStream>();
const helloed = new WeakSet<IngestStream>();
let paused = false;
let pausedSince = 0;
let pausedMsTotal = 0;
let pauses = 0;
const queuedBatches = () => pendingBatches + batchCount;
const queuedBytes = () => pendingBytes + recordsUsed;

function pressure(): void {
  if (!paused && (queuedBatches() >= init.maxQueuedBatches || queuedBytes() >= init.maxQueuedBytes)) {
    paused = true;
    pauses++;
    pausedSince = clock.monotonic();
    for (const c of calls) if (helloed.has(c)) c.pause();
    post({ type: 'pressure', paused: true, atMs: processMonotonicMs() });
  } else if (paused && queuedBatches() < init.maxQueuedBatches / 2 && queuedBytes() < init.maxQueuedBytes / 2) {
    paused = false;
    pausedMsTotal += clock.monotonic() - pausedSince;
    for (const c of calls) c.resume();
    post({ type: 'pressure', paused: false, atMs: processMonotonicMs() });
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'done': {
      // Flushes are done in order ("up to n"; with the spool its group commits are in order too).
      const done: (() => void)[] = [];
      for (const [n, p] of pending) {
        if (n > m.n) break;
        pending.delete(n);
        pendingBatches -= p.batches;
        pendingBytes -= p.bytes;
        for (const resolve of p.resolves) done.push(resolve);
      }
      // Newest first: an agent's ack says "up to" a seq, so its older batches' acks are then
      // no-ops (AgentRegistry.stored): one ack per agent per notice, not one per batch.
      for (let i = done.length - 1; i >= 0; i--) done[i]!();
      pressure();
      break;
    }
    case 'accepting':
      accepting = m.accepting;
      break;
    case 'close':
      void server
        .then((s) => s.close())
        .then(() => {
          clearInterval(statsTimer);
          loopWatch.stop();
          port.close();
        });
      break;
  }
});

const statsTimer = setInterval(() => {
  const counters: Record<string, Record<string, number>> = {};
  for (const [name, t] of Object.entries(tallies)) if (name !== 'streamsOpen') counters[name] = Object.fromEntries(t.values);
  const now = clock.monotonic();
  let pausedStreams = 0;
  if (paused) for (const c of calls) if (helloed.has(c)) pausedStreams++;
  post({
    type: 'stats',
    counters,
    streamsOpen: tallies.streamsOpen.get(),
    pausedStreams,
    paused,
    pausedMsTotal: pausedMsTotal + (paused ? now - pausedSince : 0),
    pauses,
    queuedBatches: queuedBatches(),
    queuedBytes: queuedBytes(),
    samplesFolded,
    lag: { buckets: [...lag.counts], sum: lag.sum, count: lag.count },
  });
}, 500);

const agentConfig = loadAgentPush(config);
const lineBuffer = new LineBuffer();
const server = startIngestServer(config, log, metrics, (call) => {
  calls.add(call);
  const forget = () => calls.delete(call);
  call.once('close', forget);
  call.once('error', forget);
  call.once('cancelled', forget);
  call.once('data', () => {
    helloed.add(call);
    if (paused) call.pause();
  });
  new IngestSession(call, {
    clock,
    log,
    brainId: config.brain.id,
    agents: registry,
    series,
    events: workerEvents,
    metrics,
    token: config.token,
    helloTimeoutMs: config.limits.hello_timeout_ms,
    maxSeriesPerStream: config.limits.max_series_per_stream,
    persist: init.spool ? persist : undefined,
    persistAccepting: () => accepting,
    lineBuffer,
    certIdentity: certIdentities,
    agentConfig: () => agentConfig,
    sampled: (s, v, t) => {
      // The session calls this only for a sample newer than the series' latest: it replaces it.
      const i = s.index;
      const thisFlush = flushN + 1;
      if (!chartedSeries[i] && slotFlush[i] === thisFlush) {
        const at = 3 * slotOf[i]!;
        samples[at + 1] = v;
        samples[at + 2] = t;
        samplesFolded++;
        return;
      }
      slotFlush[i] = thisFlush;
      slotOf[i] = sampleCount;
      if (3 * sampleCount + 3 > samples.length) {
        const bigger = new Float64Array(samples.length * 2);
        bigger.set(samples);
        samples = bigger;
      }
      const at = 3 * sampleCount++;
      samples[at] = s.index;
      samples[at + 1] = v;
      samples[at + 2] = t;
    },
    agentChanged: (a) => {
      changed.add(a);
      schedule();
    },
  });
});
server.then(
  (s) => post({ type: 'ready', port: s.port }),
  (err: Error & { code?: string }) => post({ type: 'failed', message: err.message, ...(err.code ? { code: err.code } : {}) }),
);
