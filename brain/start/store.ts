/**
 * The brain's storage part: the spool (durable, bounded, the acks to agents follow it), the
 * forwarder to the time-series store, the dead-letter file and the checkpoint of what each agent
 * has had acknowledged. Store outages become `store.down` / `store.up` brain events. Each file
 * reports its disk health to the state disk (brain/state-disk.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import type { DiskHealth, StateDisk } from '../../lib/disk-health.js';
import { writeFileAtomic } from '../../lib/state-files.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { BrainConfig } from '../config.js';
import type { AgentRegistry } from '../ingest/agents.js';
import type { EventLog } from '../state/event-log.js';
import { DeadLetterFile } from '../store/dead-letter-file.js';
import { Forwarder } from '../store/forwarder.js';
import { InfluxV1Sink } from '../store/influx-v1.js';
import { InfluxV2Sink } from '../store/influx-v2.js';
import type { Sink } from '../store/sink.js';
import { Spool } from '../store/spool.js';

/** What /api/health shows of the store, and the brain's own `brain` points read. */
export type StoreStatus = {
  kind: BrainConfig['store']['kind'];
  sink: string | null;
  up: boolean | null;
  forwarded_lines: number;
  rejected_lines: number;
  spool_bytes: number;
  spool_appended_lines: number;
  spool_dropped_lines: number;
  recovered_lines: number;
};

export interface StorePart {
  readonly sinkName: string | undefined;
  readonly recoveredLines: number;
  /** Persists an agent batch (line protocol); undefined without a spool (lines are not kept). */
  readonly persist: ((agentId: string, seq: number, lines: number, bytes: Uint8Array) => Promise<void>) | undefined;
  /**
   * Persists agents' batches the ingest worker encoded as spool records (brain/store/spool-record.ts),
   * back to back, `lines` lines in all: one append for a whole flush; undefined without a spool.
   */
  readonly persistRecords: ((records: Uint8Array, lines: number) => Promise<void>) | undefined;
  /** False while the spool cannot take more (state disk failing, memory allowance used). */
  readonly persistAccepting: (() => boolean) | undefined;
  /** Persists the brain's own lines (plant health), fire and forget; counted when refused. */
  readonly persistOwn: ((lines: number, bytes: Uint8Array) => void) | undefined;
  /** For /api/health. */
  status(): StoreStatus;
  start(): void;
  stop(): Promise<void>;
}

export function startStore(
  config: BrainConfig,
  d: { clock: Clock; log: Logger; events: EventLog; agents: AgentRegistry; metrics: MetricsRegistry; disk: StateDisk },
): StorePart {
  const { clock, events, agents, disk } = d;
  const stateDir = config.brain.state_dir;
  const checkpointFile = join(stateDir, 'agents-acked.json');
  const writeCheckpoint = checkpointWriter(checkpointFile, () => agents.checkpoint(), disk.health('checkpoint'));
  for (const [id, seq] of Object.entries(readCheckpoint(checkpointFile))) agents.recovered(id, seq);

  const spool = config.spool.enabled
    ? new Spool({
        dir: join(stateDir, 'spool'),
        maxBytes: config.spool.max_bytes,
        segmentBytes: config.spool.segment_bytes,
        fsync: config.spool.fsync,
        beforeDelete: writeCheckpoint,
        maxHeldBytes: config.spool.max_held_bytes,
        health: disk.health('spool'),
      })
    : undefined;
  let recoveredLines = 0;
  spool?.recover((r) => {
    if (r.agentId) agents.recovered(r.agentId, r.seq); // '' = the brain's own lines (plant health)
    recoveredLines += r.lines;
  });
  const sink = createSink(config, d.log, clock);
  const forwarder =
    spool && sink
      ? new Forwarder({
          clock,
          log: d.log,
          spool,
          sink,
          stateDir,
          batchLines: config.store.batch_lines,
          maxInflight: config.store.max_inflight,
          deadLetter: new DeadLetterFile({ path: join(stateDir, 'dead-letter.jsonl'), clock, health: disk.health('dead-letter') }),
          cursorHealth: disk.health('forward-cursor'),
          onStoreChange: (c) =>
            c.up
              ? events.brainEvent('store.up', { store: c.sink }, { down_ms: c.downForMs }, 0)
              : events.publish({
                  timeUs: clock.nowUs(),
                  kind: 'store.down',
                  source: 'brain',
                  agentId: '',
                  tags: { store: c.sink },
                  attrs: { error: c.error },
                  values: {},
                  severity: 3,
                }),
        })
      : undefined;
  registerStoreMetrics(d.metrics, spool, forwarder);
  let ownLinesRefused = 0;
  d.metrics.counterFn(
    'floorwatch_spool_refused_lines_total',
    "The brain's own lines (plant health) refused while the state disk failed and the spool held its maximum.",
    () => ownLinesRefused,
  );

  return {
    sinkName: sink?.name,
    recoveredLines,
    persist: spool ? (agentId, seq, lines, bytes) => spool.append(agentId, seq, lines, bytes).then(() => forwarder?.kick()) : undefined,
    persistRecords: spool ? (records, lines) => spool.appendEncoded(records, lines).then(() => forwarder?.kick()) : undefined,
    persistAccepting: spool ? () => spool.accepting : undefined,
    persistOwn: spool
      ? (lines, bytes) => {
          if (!spool.accepting) ownLinesRefused += lines;
          else void spool.append('', 0, lines, bytes).then(() => forwarder?.kick());
        }
      : undefined,
    status: () => ({
      kind: config.store.kind,
      sink: sink?.name ?? null,
      up: forwarder?.storeUp ?? null,
      forwarded_lines: forwarder?.forwardedLines ?? 0,
      rejected_lines: forwarder?.rejectedLines ?? 0,
      spool_bytes: spool?.bytes ?? 0,
      spool_appended_lines: spool?.appendedLines ?? 0,
      spool_dropped_lines: spool?.droppedLines ?? 0,
      spool_held_bytes: spool?.heldBytes ?? 0,
      recovered_lines: recoveredLines,
      state_disk: {
        degraded: disk.degraded,
        failing: disk.stores.filter((s) => s.failing).map((s) => ({ store: s.store, code: s.fault!.code, path: s.fault!.path })),
      },
    }),
    start: () => forwarder?.start(),
    stop: async () => {
      forwarder?.stop();
      await sink?.close();
      spool?.close();
      try {
        writeCheckpoint();
      } catch {
        // reported as a state-disk error; the spool segments still hold the seqs
      }
    },
  };
}

function createSink(config: BrainConfig, log: Logger, clock: Clock): Sink | undefined {
  const s = config.store;
  switch (s.kind) {
    case 'influx-v1':
      return new InfluxV1Sink({
        url: s.url,
        database: s.db,
        ...(s.rp ? { retentionPolicy: s.rp } : {}),
        ...(s.username ? { username: s.username } : {}),
        ...(s.password ? { password: s.password } : {}),
        timeoutMs: s.timeout_ms,
        ...(s.retention.enabled ? { retention: s.retention } : {}),
        clock,
        logger: log,
      });
    case 'influx-v2':
      return new InfluxV2Sink({
        url: s.url,
        org: s.org ?? '',
        bucket: s.bucket ?? s.db,
        ...(s.token ? { token: s.token } : {}),
        timeoutMs: s.timeout_ms,
        clock,
      });
    case 'none':
      return undefined;
  }
}

function registerStoreMetrics(metrics: MetricsRegistry, spool: Spool | undefined, forwarder: Forwarder | undefined): void {
  metrics.gaugeFn(
    'floorwatch_spool_held_bytes',
    'Bytes accepted but not yet durable in the spool (held in memory while the state disk fails).',
    () => spool?.heldBytes ?? 0,
  );
  metrics.gaugeFn(
    'floorwatch_spool_bytes',
    'Bytes in the brain spool (not yet forwarded, or kept as the local store).',
    () => spool?.bytes ?? 0,
  );
  metrics.counterFn(
    'floorwatch_spool_dropped_lines_total',
    'Lines dropped from the spool at its byte bound (oldest first).',
    () => spool?.droppedLines ?? 0,
  );
  metrics.counterFn(
    'floorwatch_store_forwarded_lines_total',
    'Lines written to the time-series store.',
    () => forwarder?.forwardedLines ?? 0,
  );
  metrics.counterFn(
    'floorwatch_store_rejected_lines_total',
    'Lines the store refused (in the dead-letter file).',
    () => forwarder?.rejectedLines ?? 0,
  );
  metrics.gaugeFn('floorwatch_store_up', '1 when the last store write succeeded.', () => (forwarder ? (forwarder.storeUp ? 1 : 0) : 1));
  metrics.gaugeFn('floorwatch_brain_rss_bytes', 'Resident memory of the brain process.', () => process.memoryUsage.rss());
}

/**
 * Writes the agents' acked seqs (atomically, fsync'ed); throws when it cannot, so the spool keeps
 * the segment it was about to delete, and retries on its own so the disk's health clears.
 */
function checkpointWriter(file: string, state: () => Record<string, number>, health: DiskHealth): () => void {
  const write = (): void => {
    try {
      writeFileAtomic(file, JSON.stringify(state()));
      health.ok();
    } catch (err) {
      health.failed(file, err);
      health.retry(() => {
        try {
          write();
        } catch {
          // reported by write(), which scheduled the next attempt
        }
      });
      throw err;
    }
  };
  return write;
}

function readCheckpoint(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
