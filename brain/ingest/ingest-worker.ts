/**
 * The ingest worker (issue #15): the agents' gRPC streams, read on a thread of their own so the
 * alerting path (plant heartbeats, rules, detectors, correlation, incidents, paging) on the main
 * thread never waits behind sample ingest. Here: HTTP/2 and grpc-js, protobuf decode, hello
 * checks, dedupe by (agent, seq), series lookup, each batch's line protocol, and the acks. What
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
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import type { Counter, Gauge } from '../../lib/metrics.js';
import type { IngestStream } from '../../proto/ingest-service.js';
import type { BrainConfig } from '../config.js';
import { EventLog } from '../state/event-log.js';
import { LoopWatch } from '../state/loop-watch.js';
import { SeriesTable } from '../state/series-table.js';
import { LineBuffer } from '../store/line-buffer.js';
import { loadAgentPush } from './agent-push.js';
import { AgentRegistry, type AgentRecord } from './agents.js';
import { LagBuckets, type IngestMetrics } from './metrics.js';
import { certIdentities, startIngestServer } from './server.js';
import { IngestSession } from './session.js';
import {
  BATCH_STRIDE,
  HEARD_FIELDS,
  HEARD_STRIDE,
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
/** The worker's number for each agent (Flush.heard and .batches name agents by it), and the inventory last sent. */
const agentIndex = new Map<string, number>();
const inventorySent = new WeakMap<AgentRecord, unknown>();
let declared: Flush['series'] = [];
let samples = new Float64Array(3 * 4096);
let sampleCount = 0;
let events: WorkerEvent[] = [];
let batches = new Float64Array(BATCH_STRIDE * 1024);
let lines = new Uint8Array(1 << 20);
let linesUsed = 0;
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
  const batchesOut = init.spool ? batches.slice(0, batchCount * BATCH_STRIDE) : new Float64Array(0);
  const linesOut = lines.slice(0, linesUsed);
  // Objects are counted at a rough size: what the bound needs is their order of magnitude.
  const bytes =
    heardOut.byteLength +
    samplesOut.byteLength +
    batchesOut.byteLength +
    linesOut.byteLength +
    512 * (agents.length + declared.length + events.length);
  const msg: Flush = {
    type: 'flush',
    n: ++flushN,
    atMs: clock.now(),
    agents,
    heard: heardOut,
    series: declared,
    samples: samplesOut,
    events,
    batches: batchesOut,
    lines: linesOut,
    batchCount,
    bytes,
    stalledMs: loopWatch.stalledMsNow(),
  };
  post(msg, [heardOut.buffer, samplesOut.buffer, batchesOut.buffer, linesOut.buffer]);
  pending.set(msg.n, { batches: batchCount, bytes, resolves });
  pendingBatches += batchCount;
  pendingBytes += bytes;
  heard.clear();
  changed.clear();
  declared = [];
  sampleCount = 0;
  events = [];
  linesUsed = 0;
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
    if (s && this.size > before) declared.push({ index: s.index, agentId: args[0], agentTags: args[1], def: args[2] });
    return s;
  }
}
// No recent-value rings here: the wall board's charts are kept by the main thread's table.
const series = new WorkerSeries(config.limits.max_series_total, 0);

// --- persisting through the main thread's spool ---
let accepting = true;
function persist(agentId: string, seq: number, n: number, bytes: Uint8Array): Promise<void> {
  if (linesUsed + bytes.length > lines.length) {
    const bigger = new Uint8Array(Math.max(lines.length * 2, linesUsed + bytes.length));
    bigger.set(lines.subarray(0, linesUsed));
    lines = bigger;
  }
  lines.set(bytes, linesUsed);
  linesUsed += bytes.length;
  if (BATCH_STRIDE * (batchCount + 1) > batches.length) {
    const bigger = new Float64Array(batches.length * 2);
    bigger.set(batches);
    batches = bigger;
  }
  // batchCount is counted by metrics.batches.inc, which the session calls just before persisting.
  const at = BATCH_STRIDE * (batchCount - 1);
  batches[at] = indexOf(agentId);
  batches[at + 1] = seq;
  batches[at + 2] = n;
  batches[at + 3] = bytes.length;
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
const queuedBytes = () => pendingBytes + linesUsed;

function pressure(): void {
  if (!paused && (queuedBatches() >= init.maxQueuedBatches || queuedBytes() >= init.maxQueuedBytes)) {
    paused = true;
    pauses++;
    pausedSince = clock.monotonic();
    for (const c of calls) if (helloed.has(c)) c.pause();
    post({ type: 'pressure', paused: true });
  } else if (paused && queuedBatches() < init.maxQueuedBatches / 2 && queuedBytes() < init.maxQueuedBytes / 2) {
    paused = false;
    pausedMsTotal += clock.monotonic() - pausedSince;
    for (const c of calls) c.resume();
    post({ type: 'pressure', paused: false });
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
