/**
 * The brain, composed of its parts (brain/start/), in the order they must listen:
 *   state (agents, series, events) → store (spool, forwarder, checkpoint) → alerting (rules,
 *   detectors, correlation, incidents) → history (what the brain writes of itself) → ingest (gRPC,
 *   plant health) → notify (paging) → HTTP.
 * Composition only: what each part does is in its own file; the order here and in stop() is
 * the point of this file (listeners before producers; producers stop before what they feed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { MetricsRegistry } from '../lib/metrics.js';
import { ensureStateDir } from '../lib/state-files.js';
import type { BrainConfig } from './config.js';
import type { IncidentApi } from './incidents/api.js';
import { AgentRegistry } from './ingest/agents.js';
import { checkIngestTransport, splitAddress } from './ingest/server.js';
import { loadOrCreateSecret } from '../lib/secret-file.js';
import { startAlerting } from './start/alerting.js';
import { startHistoryPart } from './start/history.js';
import { startHttp } from './start/http.js';
import { startIngest } from './start/ingest.js';
import { startNotify } from './start/notify.js';
import { startPairPart, type PairHooks, type PairPart } from './start/pair.js';
import { runNow, type StepRunner } from './pair/takeover-steps.js';
import { IncidentError } from './incidents/api.js';
import { startStore } from './start/store.js';
import { watchStateDisk } from './state-disk.js';
import { EventLog } from './state/event-log.js';
import { LoopWatch, threadSchedTimes } from './state/loop-watch.js';
import { SeriesTable } from './state/series-table.js';

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
  /** The pair part, when the brain runs as one of a pair. */
  readonly pair?: PairPart;
  stop(): Promise<void>;
}

export async function startBrain(config: BrainConfig, log: Logger, clock: Clock = systemClock): Promise<BrainHandle> {
  checkIngestTransport(config); // before anything starts: a refused config leaves nothing running
  ensureStateDir(config.brain.state_dir);
  const secret = loadOrCreateSecret(config.brain.state_dir, (why) =>
    log.error({ why }, 'secret.key not written: sign-ins end at the next restart'),
  );
  const metrics = new MetricsRegistry();
  const events = new EventLog({ clock });
  // Every store on the state disk reports to it; its events reach the rules once they listen.
  const stateDisk = watchStateDisk({ clock, log, events, metrics, host: hostname() });
  const disk = stateDisk.disk;
  // The brain's own lag: liveness discounts it, metrics show it, brain.behind reports it.
  const loop = new LoopWatch({
    clock,
    events,
    metrics,
    host: hostname(),
    behindMs: config.liveness.behind_after_ms,
    graceMs: config.liveness.behind_grace_ms,
    // Real time only: a fake clock's stalls are not the thread's.
    ...(clock === systemClock ? { sched: threadSchedTimes } : {}),
  });
  const agents = new AgentRegistry({ clock, events, silentAfterMs: config.liveness.silent_after_ms, lag: loop });
  const series = new SeriesTable(config.limits.max_series_total, config.limits.max_charted_series);

  const store = startStore(config, { clock, log, events, agents, metrics, disk });
  // The active parts: alerting (rules, detectors, correlation, incidents), history and paging.
  // A single brain starts them now; a brain of a pair when it becomes primary (brain/start/pair.ts).
  // A pair's new primary runs them as steps that yield to the event loop (its lease is renewed
  // on this loop: brain/pair/takeover-steps.ts); a single brain starts them before ingest listens.
  const startActive = async (step: StepRunner, pair?: PairHooks) => {
    const alerting = await startAlerting(
      config,
      {
        clock,
        log,
        series,
        events,
        agents,
        metrics,
        disk,
        stalls: loop,
        ...(pair ? { onRecord: (line: string) => pair.onRecord('i', line) } : {}),
      },
      step,
    );
    const history = await step('history', () => startHistoryPart(config, { clock, events, agents, series, alerting, store }));
    const notify = await step('paging', () =>
      startNotify(config, {
        clock,
        log,
        events,
        metrics,
        alerting,
        disk,
        secret,
        ...(history ? { onDelivery: history.delivery } : {}),
        ...(pair ? { pair: { onRecord: (line: string) => pair.onRecord('o', line), gate: pair.gate, mayAct: pair.mayAct } } : {}),
      }),
    );
    await step('detectors', () => alerting.startDetectors());
    return {
      alerting,
      snapshot: () => ({ i: alerting.incidents.snapshotLines(), o: notify?.outboxLines() ?? [] }),
      stop: async () => {
        await alerting.stop();
        await notify?.stop();
        history?.stop();
        alerting.close();
      },
    };
  };
  let current: Awaited<ReturnType<typeof startActive>> | undefined;
  const pairConfig = config.pair;
  if (pairConfig) await warmUpAlerting(config, { clock, log, series, events, agents, metrics, disk });
  const pair = pairConfig
    ? await startPairPart(
        { ...config, pair: pairConfig },
        {
          clock,
          log,
          metrics,
          events,
          sched: clock === systemClock ? threadSchedTimes : undefined,
          startActive: async (hooks, step) => {
            const a = await startActive(step, hooks);
            current = a;
            return {
              snapshot: a.snapshot,
              stop: async () => {
                if (current === a) current = undefined;
                await a.stop();
                // Streams opened while primary are ended, not left to the next message's refusal:
                // an agent whose window of batches awaits acks sends nothing more, and stayed
                // stuck on a brain that had stepped down alive (churn test, CI run ci3).
                for (const agent of agents.all()) agent.replace?.('FW_ERR_PAIR_SECONDARY');
              },
            };
          },
        },
      )
    : undefined;
  // A single brain: alerting listens before ingest does (an agent replaying its queue the moment
  // the brain is back must not publish events nobody hears). A pair's secondary refuses agents.
  if (!pair) current = await startActive(runNow);
  stateDisk.listen();
  const ingest = await startIngest(config, {
    clock,
    log,
    agents,
    series,
    events,
    metrics,
    store,
    ...(pair ? { accepting: pair.active } : {}),
  });
  store.start();
  loop.start();
  agents.startLiveness(config.liveness.check_every_ms);
  const incidents = pair ? switchingIncidents(() => current?.alerting.incidentApi, config.brain.id) : current!.alerting.incidentApi;
  const http = await startHttp(
    config,
    {
      agents,
      series,
      events,
      metrics,
      incidents,
      startedMs: clock.now(),
      now: () => clock.now(),
      phases: () => current?.alerting.phases(clock.now()) ?? {},
      store: () => store.status(),
      reloadRules: () =>
        current?.alerting.reloadRules?.() ?? {
          ok: false,
          message: current ? 'rules are disabled on this brain' : 'this brain is the secondary of its pair: reload on the primary',
        },
      ...(pair ? { pair: () => pair.status() } : {}),
    },
    secret,
    clock,
  );
  const grpc = `${splitAddress(config.listen).host}:${ingest.grpcPort}`;
  log.info(
    {
      grpc,
      http: http.port,
      store: store.sinkName ?? 'local spool only',
      recoveredLines: store.recoveredLines,
      pair: pair ? pair.node.machine.role : 'none',
    },
    'brain started',
  );

  let stopping: Promise<void> | undefined;
  return {
    grpcPort: ingest.grpcPort,
    httpPort: http.port,
    plantHealthPort: ingest.plantHealthPort,
    agents,
    series,
    events,
    metrics,
    get incidents() {
      return incidents;
    },
    ...(pair ? { pair } : {}),
    stop: () =>
      (stopping ??= (async () => {
        loop.stop();
        ingest.quiet();
        if (pair) await pair.stop();
        else await current?.stop();
        await ingest.close();
        await store.stop();
        disk.stop();
        await http.close();
      })()),
  };
}

/**
 * A brain of a pair starts its alerting part once on an empty scratch state and stops it: the
 * first start (rule files, calendar, code compiled) blocks the event loop for ~0.5 s on a busy
 * machine, longer than a pair lease, and a brain just elected must not lose its lease to it.
 */
async function warmUpAlerting(config: BrainConfig, d: Parameters<typeof startAlerting>[1]): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'fw-brain-warm-'));
  try {
    const a = await startAlerting({ ...config, brain: { ...config.brain, state_dir: scratch } }, d, runNow);
    await a.stop();
    a.close();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The incidents API of a brain of a pair: the running one while primary; on a secondary reads
 * list nothing and everything else answers that the primary has the incidents.
 */
function switchingIncidents(current: () => IncidentApi | undefined, brainId: string): IncidentApi {
  const refuse = () => {
    throw new IncidentError('FW_ERR_INCIDENT_BAD_REQUEST', `${brainId} is the secondary of its brain pair: ask the primary`);
  };
  return new Proxy({} as IncidentApi, {
    get(_target, prop) {
      const api = current();
      if (api) {
        const v = (api as unknown as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(api) : v;
      }
      return prop === 'list' ? () => [] : refuse;
    },
  });
}
