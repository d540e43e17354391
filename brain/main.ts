/**
 * The brain, composed: ingest (gRPC) → state (agents, series, events) → spool → forwarder →
 * store, plus the HTTP API. Composition only; each stage is its own module.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { MetricsRegistry } from '../lib/metrics.js';
import { VERSION } from '../lib/version.js';
import type { BrainConfig } from './config.js';
import { startApi } from './http/api.js';
import { AgentRegistry } from './ingest/agents.js';
import { ingestMetrics } from './ingest/metrics.js';
import { certIdentities, splitAddress, startIngestServer } from './ingest/server.js';
import { IngestSession } from './ingest/session.js';
import { watchPlantHealth } from './ingest/plant-health.js';
import { EventLog } from './state/event-log.js';
import { SeriesTable } from './state/series-table.js';
import { DeadLetterFile } from './store/dead-letter-file.js';
import { Forwarder } from './store/forwarder.js';
import { InfluxV1Sink } from './store/influx-v1.js';
import { InfluxV2Sink } from './store/influx-v2.js';
import type { Sink } from './store/sink.js';
import { packageRoot } from '../lib/paths.js';
import { Correlator } from './correlate/correlator.js';
import { startPaging } from './notify/paging.js';
import { IncidentApi } from './incidents/api.js';
import { IncidentStore } from './incidents/incident-store.js';
import { loadTopologyFile } from './topology/topology-file.js';
import { Topology } from './topology/topology.js';
import { loadCalendarFile } from './calendar/load.js';
import type { Calendar } from './calendar/calendar-file.js';
import { BodReadiness, componentsUpIn, publishTo } from './calendar/readiness.js';
import { RuleManager } from './rules/manager.js';
import { agentLabelsFrom, TableQuery } from './rules/query.js';
import { alertEvent } from './correlate/alert-input.js';
import { firstMute, type Muter } from './calendar/muter.js';
import { marketPhaseAt } from './calendar/phases.js';
import { createDetectors, DetectorStage } from './detect/index.js';
import { Spool } from './store/spool.js';
import { LineBuffer } from './store/line-buffer.js';

export interface BrainHandle {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** UDP port receiving plant health heartbeats, when configured. */
  readonly plantHealthPort: number | undefined;
  readonly agents: AgentRegistry;
  readonly series: SeriesTable;
  readonly events: EventLog;
  readonly metrics: MetricsRegistry;
  readonly incidents: IncidentApi;
  stop(): Promise<void>;
}

export async function startBrain(config: BrainConfig, log: Logger, clock: Clock = systemClock): Promise<BrainHandle> {
  const stateDir = config.brain.state_dir;
  mkdirSync(stateDir, { recursive: true });
  const metrics = new MetricsRegistry();
  const im = ingestMetrics(metrics);
  const events = new EventLog({ clock });
  const agents = new AgentRegistry({ clock, events, silentAfterMs: config.liveness.silent_after_ms });
  const series = new SeriesTable(config.limits.max_series_total);
  const checkpointFile = join(stateDir, 'agents-acked.json');
  const writeCheckpoint = () => {
    writeFileSync(checkpointFile + '.tmp', JSON.stringify(agents.checkpoint()));
    renameSync(checkpointFile + '.tmp', checkpointFile);
  };
  for (const [id, seq] of Object.entries(readCheckpoint(checkpointFile))) agents.recovered(id, seq);

  const spool = config.spool.enabled
    ? new Spool({ dir: join(stateDir, 'spool'), maxBytes: config.spool.max_bytes, segmentBytes: config.spool.segment_bytes, fsync: config.spool.fsync, beforeDelete: writeCheckpoint })
    : undefined;
  let recoveredLines = 0;
  spool?.recover((r) => {
    if (r.agentId) agents.recovered(r.agentId, r.seq); // '' = the brain's own lines (plant health)
    recoveredLines += r.lines;
  });
  const sink = createSink(config, log, clock);
  const forwarder =
    spool && sink
      ? new Forwarder({
          clock,
          log,
          spool,
          sink,
          stateDir,
          batchLines: config.store.batch_lines,
          maxInflight: config.store.max_inflight,
          deadLetter: new DeadLetterFile({ path: join(stateDir, 'dead-letter.jsonl'), clock }),
          onStoreChange: (c) =>
            c.up
              ? events.brainEvent('store.up', { store: c.sink }, { down_ms: c.downForMs }, 0)
              : events.publish({ timeUs: clock.nowUs(), kind: 'store.down', source: 'brain', agentId: '', tags: { store: c.sink }, attrs: { error: c.error }, values: {}, severity: 3 }),
        })
      : undefined;
  registerStoreMetrics(metrics, spool, forwarder);

  // Correlation and rules listen before ingest and plant health start: an agent replaying its
  // queue the moment the brain is back must not publish events nobody hears.
  // Correlation listens before the rules, so a process exit reaches it before its alert does.
  const topology = new Topology(config.topology ? loadTopologyFile(config.topology) : undefined);
  const incidents = new IncidentStore({ file: join(stateDir, 'incidents.jsonl'), clock });
  const correlator = new Correlator({ clock, topology, store: incidents, agents, settleMs: config.correlation.settle_ms, resolveGraceMs: config.correlation.resolve_grace_ms, restartConfirmMs: config.correlation.restart_confirm_ms });
  const detachCorrelator = correlator.attach(events);
  const incidentApi = new IncidentApi({ store: incidents, clock });
  const rules = config.rules.enabled ? startRules(config, { clock, log, series, events, agents, metrics }) : undefined;
  // A state-change alert (a process exited) cannot be re-derived from data after a restart.
  const restored = rules?.manager.restoreFiring(correlator.restoredFiring()) ?? 0;
  if (restored > 0) log.info({ restored }, 'state-change alerts firing before the restart restored from the incident journal');

  const agentConfig = loadAgentPush(config);
  const persist = spool ? (agentId: string, seq: number, lines: number, bytes: Uint8Array) => spool.append(agentId, seq, lines, bytes).then(() => forwarder?.kick()) : undefined;
  const lineBuffer = new LineBuffer();
  const ingest = await startIngestServer(config, log, im, (call) => {
    new IngestSession(call, {
      clock,
      log,
      brainId: config.brain.id,
      agents,
      series,
      events,
      metrics: im,
      token: config.token,
      helloTimeoutMs: config.limits.hello_timeout_ms,
      maxSeriesPerStream: config.limits.max_series_per_stream,
      persist,
      lineBuffer,
      certIdentity: certIdentities,
      agentConfig: () => agentConfig,
    });
  });
  const plant = config.plant
    ? await watchPlantHealth({
        ...splitAddress(config.plant.health_listen),
        missedHeartbeats: config.plant.missed_heartbeats,
        clock,
        log,
        series,
        events,
        store: spool ? (lines, bytes) => void spool.append('', 0, lines, bytes).then(() => forwarder?.kick()) : undefined,
      })
    : undefined;
  // After the rules: paging takes their calendar (phase routing, EOD) and pages incidents already open.
  const paging = config.paging
    ? startPaging({ config: config.paging, clock, log: log.child({ component: 'paging' }), incidents, stateDir, events, ...(rules?.calendar ? { calendar: rules.calendar } : {}) })
    : undefined;
  const detectors = new DetectorStage({
    clock,
    query: new TableQuery(series),
    events,
    detectors: createDetectors(config.detectors),
    checkEveryMs: config.detectors.check_every_ms,
    mute: (labels, atMs) => firstMute(rules?.muters ?? [], labels, new Date(atMs)),
  });
  detectors.start();
  metrics.gaugeFn('floorwatch_detector_dropped_total', 'Samples or series the named detectors forgot at their bounds.', () => detectors.dropped);
  forwarder?.start();
  agents.startLiveness(config.liveness.check_every_ms);
  const startedMs = clock.now();
  const api = await startApi(splitAddress(config.http), {
    brainId: config.brain.id,
    version: VERSION,
    agents,
    series,
    events,
    metrics,
    incidents: incidentApi,
    startedMs,
    now: () => clock.now(),
    phases: () => marketPhases(rules?.calendar, clock.now()),
    store: () => ({
      kind: config.store.kind,
      sink: sink?.name ?? null,
      up: forwarder?.storeUp ?? null,
      forwarded_lines: forwarder?.forwardedLines ?? 0,
      rejected_lines: forwarder?.rejectedLines ?? 0,
      spool_bytes: spool?.bytes ?? 0,
      spool_appended_lines: spool?.appendedLines ?? 0,
      spool_dropped_lines: spool?.droppedLines ?? 0,
      recovered_lines: recoveredLines,
    }),
  });
  const httpAddr = api.address();
  const httpPort = typeof httpAddr === 'object' && httpAddr ? httpAddr.port : 0;
  log.info({ grpc: `${splitAddress(config.listen).host}:${ingest.port}`, http: httpPort, store: sink?.name ?? 'local spool only', recoveredLines }, 'brain started');

  let stopping: Promise<void> | undefined;
  return {
    grpcPort: ingest.port,
    httpPort,
    plantHealthPort: plant?.port,
    agents,
    series,
    events,
    metrics,
    incidents: incidentApi,
    stop: () =>
      (stopping ??= (async () => {
        agents.stop();
        plant?.stop();
        for (const r of rules?.readiness ?? []) r.stop();
        detectors.stop();
        await rules?.manager.stop();
        detachCorrelator();
        correlator.stop();
        await paging?.stop();
        incidents.close();
        await ingest.close();
        forwarder?.stop();
        await sink?.close();
        spool?.close();
        writeCheckpoint();
        await new Promise<void>((r) => api.close(() => r()));
        api.closeAllConnections();
      })()),
  };
}

/** The rules engine and BOD readiness checks; alert changes become brain events for now. */
function startRules(
  config: BrainConfig,
  d: { clock: Clock; log: Logger; series: SeriesTable; events: EventLog; agents: AgentRegistry; metrics: MetricsRegistry },
): { manager: RuleManager; readiness: BodReadiness[]; muters: readonly Muter[]; calendar: Calendar | undefined } {
  const packaged = (p: string) => p.replace('<packaged>', packageRoot());
  const cal = config.rules.calendar ? loadCalendarFile(packaged(config.rules.calendar)) : undefined;
  const manager = new RuleManager({
    dir: packaged(config.rules.dir),
    clock: d.clock,
    series: d.series,
    events: d.events,
    agentLabels: agentLabelsFrom(d.agents),
    ...(cal ? { calendar: cal.calendar, muters: cal.muters } : {}),
    log: d.log.child({ component: 'rules' }),
    metrics: d.metrics,
    onAlert: (change) => d.events.publish(alertEvent(change)),
  });
  manager.start();
  const readiness = [...(cal?.calendar.markets.values() ?? [])]
    .filter((m) => m.readiness)
    .map((m) => {
      const r = new BodReadiness({ clock: d.clock, calendar: cal!.calendar, market: m.name, isUp: componentsUpIn(d.series, d.clock, 5_000), publish: publishTo(d.events, d.clock) });
      r.start();
      return r;
    });
  return { manager, readiness, muters: cal?.muters ?? [], calendar: cal?.calendar };
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
        clock,
        logger: log,
      });
    case 'influx-v2':
      return new InfluxV2Sink({ url: s.url, org: s.org ?? '', bucket: s.bucket ?? s.db, ...(s.token ? { token: s.token } : {}), timeoutMs: s.timeout_ms, clock });
    case 'none':
      return undefined;
  }
}

function registerStoreMetrics(metrics: MetricsRegistry, spool: Spool | undefined, forwarder: Forwarder | undefined): void {
  metrics.gaugeFn('floorwatch_spool_bytes', 'Bytes in the brain spool (not yet forwarded, or kept as the local store).', () => spool?.bytes ?? 0);
  metrics.gaugeFn('floorwatch_spool_dropped_lines_total', 'Lines dropped from the spool at its byte bound (oldest first).', () => spool?.droppedLines ?? 0);
  metrics.gaugeFn('floorwatch_store_forwarded_lines_total', 'Lines written to the time-series store.', () => forwarder?.forwardedLines ?? 0);
  metrics.gaugeFn('floorwatch_store_rejected_lines_total', 'Lines the store refused (in the dead-letter file).', () => forwarder?.rejectedLines ?? 0);
  metrics.gaugeFn('floorwatch_store_up', '1 when the last store write succeeded.', () => (forwarder ? (forwarder.storeUp ? 1 : 0) : 1));
  metrics.gaugeFn('floorwatch_brain_rss_bytes', 'Resident memory of the brain process.', () => process.memoryUsage.rss());
}

function readCheckpoint(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function loadAgentPush(config: BrainConfig): { version: number; yaml: string } | undefined {
  if (!config.agent_config) return undefined;
  const yaml = readFileSync(config.agent_config, 'utf8');
  // The version is a content hash, so every brain of a pair pushes the same version for a file.
  let h = 0;
  for (let i = 0; i < yaml.length; i++) h = (Math.imul(h, 31) + yaml.charCodeAt(i)) >>> 0;
  return { version: h || 1, yaml };
}

function marketPhases(calendar: Calendar | undefined, atMs: number): Record<string, string> {
  return Object.fromEntries([...(calendar?.markets ?? new Map()).entries()].map(([name, m]) => [name, marketPhaseAt(m, atMs)]));
}
