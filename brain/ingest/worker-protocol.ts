/**
 * What the ingest worker (brain/ingest/ingest-worker.ts) and the brain's main thread (the
 * alerting side, brain/start/ingest-worker.ts) say to each other over the worker's port.
 *
 * Worker → main, at most one `Flush` every 10 ms: the agents whose records changed (hello, end
 * of stream, inventory: full records, rarely), every agent heard with its counters (packed
 * numbers), the series declared, every sample's series, value and time (packed columns), the
 * agents' events, and, with the spool, every accepted batch as a spool record the worker encoded
 * (brain/store/spool-record.ts: header, CRC, line protocol), back to back, which main appends to
 * its spool as one block, with the (agent, seq) of each for main's acked seqs. Every column
 * is a typed array whose buffer is transferred, not copied: the main thread's cost is a loop
 * over numbers, with an object only for what is rare (a new agent or series, an event).
 * Main answers each flush with `done` once it is applied and, with the spool, durable (the
 * worker then acknowledges its batches). `pressure` says when the worker stops and resumes
 * reading streams, so liveness does not take that time for the agents' silence. Times sent
 * across (`sentAtMs`, `atMs`) are on processMonotonicMs (lib/clock.ts), the one clock both
 * threads read.
 */
import type { SeriesDefinition } from '../state/series-table.js';
import type { HostInventoryView } from './agents.js';

export interface AgentSnapshot {
  /** The worker's number for the agent: `heard` and `batches` name agents by it. */
  index: number;
  id: string;
  host: string;
  labels: Record<string, string>;
  softwareVersion: string;
  /** The fleet inventory the agent reported (undefined until it does). */
  inventory: HostInventoryView | undefined;
  runId: string;
  peer: string;
  connected: boolean;
  receivedSeq: number;
  /** The worker's: acknowledged at once without a spool, after main's `durable` with one. */
  ackedSeq: number;
  samplesReceived: number;
  batchesReceived: number;
  duplicateBatches: number;
  missingBatches: number;
  agentCumulativeSamples: number;
  agentDroppedSamples: number;
}

export interface WorkerEvent {
  timeUs: number;
  kind: string;
  agentId: string;
  tags: Record<string, string>;
  attrs: Record<string, string>;
  values: Record<string, number>;
  severity: number;
}

/** Per agent heard, in `Flush.heard`: its index, then these counters of its record. */
export const HEARD_FIELDS = [
  'receivedSeq',
  'ackedSeq',
  'samplesReceived',
  'batchesReceived',
  'duplicateBatches',
  'missingBatches',
  'agentCumulativeSamples',
  'agentDroppedSamples',
] as const;
export const HEARD_STRIDE = 1 + HEARD_FIELDS.length;
/** Per batch in `Flush.records`, in `Flush.stored`: agent index, seq. */
export const STORED_STRIDE = 2;

export interface Flush {
  type: 'flush';
  n: number;
  /** When the worker sent this, on processMonotonicMs: how late main applies it is the hand-over's delay. */
  sentAtMs: number;
  /** Records new or changed (hello, end of stream, inventory); before `heard`, which may name them. */
  agents: AgentSnapshot[];
  /** Agents heard: HEARD_STRIDE numbers each (index, then HEARD_FIELDS). */
  heard: Float64Array;
  series: { index: number; agentId: string; agentTags: Record<string, string>; def: SeriesDefinition }[];
  /** Samples: series index, value, time µs, three per sample (every sample: the wall board's chart rings take each). */
  samples: Float64Array;
  events: WorkerEvent[];
  /** The batches in `records`: STORED_STRIDE numbers each (agent index, seq), in their order. */
  stored: Float64Array;
  /** With the spool: every accepted batch as an encoded spool record, back to back (empty without). */
  records: Uint8Array;
  /** Lines in `records`. */
  recordLines: number;
  /** Batches accepted in this flush (what the queue depth counts). */
  batchCount: number;
  /** What this flush holds, in bytes (what the queue's byte bound counts). */
  bytes: number;
  /** The worker's own stalls so far (ticks 250 ms or more late), ms: liveness does not count them as silence. */
  stalledMs: number;
}

export interface WorkerStats {
  type: 'stats';
  /** Counters of the ingest path (IngestMetrics), absolute, by name and label key. */
  counters: Record<string, Record<string, number>>;
  streamsOpen: number;
  pausedStreams: number;
  paused: boolean;
  pausedMsTotal: number;
  pauses: number;
  queuedBatches: number;
  queuedBytes: number;
  /** Samples handed over folded into a newer one of their series (same flush, not charted): the alerting side reads the latest only. */
  samplesFolded: number;
  /** floorwatch_ingest_lag_seconds as the worker observed it: per bucket (not cumulative, +Inf last), sum, count. */
  lag: { buckets: number[]; sum: number; count: number };
}

export interface WorkerLog {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export type FromWorker =
  | Flush
  | WorkerStats
  | WorkerLog
  /** `atMs` on processMonotonicMs. */
  | { type: 'pressure'; paused: boolean; atMs: number }
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string; code?: string };

export type ToWorker =
  /** Flushes up to `n` are applied and (with the spool) durable: their batches may be acknowledged. */
  { type: 'done'; n: number } | { type: 'accepting'; accepting: boolean } | { type: 'close' };

export interface WorkerInit {
  /** The brain's config (plain data). */
  config: unknown;
  logLevel: string;
  /** Agents' acknowledged seqs recovered from the checkpoint and spool. */
  recovered: Record<string, number>;
  spool: boolean;
  /** Batches, and bytes, handed to main and not yet done, from which the worker stops reading streams. */
  maxQueuedBatches: number;
  maxQueuedBytes: number;
  /** floorwatch_ingest_lag_seconds's bucket bounds. */
  lagBuckets: number[];
}
