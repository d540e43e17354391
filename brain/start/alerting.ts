/**
 * The brain's alerting part: rules (with the market calendar, its muters and BOD readiness),
 * detectors, correlation and the incident journal. Alerts become `alert.*` events on the event
 * log; the correlator turns events and alerts into incidents.
 *
 * Correlation and rules listen as soon as this part starts, before ingest and plant health do:
 * an agent replaying its queue the moment the brain is back must not publish events nobody hears.
 * The correlator reads alerts only: a state-change alert carries the event that fired it (a
 * process exit's signal), so the order of the two subscriptions does not matter.
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import type { StateDisk } from '../../lib/disk-health.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import { packageRoot } from '../../lib/paths.js';
import type { Calendar } from '../calendar/calendar-file.js';
import { loadCalendarFile } from '../calendar/load.js';
import { firstMute, type Muter } from '../calendar/muter.js';
import { marketPhaseAt } from '../calendar/phases.js';
import { BodReadiness, componentsUpIn, publishTo } from '../calendar/readiness.js';
import type { BrainConfig } from '../config.js';
import { alertEvent } from '../rules/alert-event.js';
import { detectionLatency } from '../rules/detection-latency.js';
import { Correlator } from '../correlate/correlator.js';
import { createDetectors, DetectorStage } from '../detect/index.js';
import { IncidentApi } from '../incidents/api.js';
import { IncidentStore } from '../incidents/incident-store.js';
import type { AgentRegistry } from '../ingest/agents.js';
import { RuleManager } from '../rules/manager.js';
import { agentLabelsFrom, TableQuery, type StallHistory } from '../rules/query.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import { loadTopologyFile } from '../topology/topology-file.js';
import { Topology } from '../topology/topology.js';
import type { StepRunner } from '../pair/takeover-steps.js';

export interface AlertingPart {
  readonly incidents: IncidentStore;
  readonly incidentApi: IncidentApi;
  /** The rules' market calendar (phase routing, end-of-day notices, the wall board's phases). */
  readonly calendar: Calendar | undefined;
  /** Each market's trading phase at a time. */
  phases(atMs: number): Record<string, string>;
  /** Detectors run once paging listens (they can open incidents at their first check). */
  startDetectors(): void;
  /** Reloads the rule files now (an admin's POST /api/rules/reload); undefined with rules disabled. */
  readonly reloadRules: (() => { ok: boolean; message?: string; groups?: number; rules?: number }) | undefined;
  /** Stops producing alerts and incidents; the journal stays open for paging until close(). */
  stop(): Promise<void>;
  close(): void;
}

interface Deps {
  clock: Clock;
  log: Logger;
  series: SeriesTable;
  events: EventLog;
  agents: AgentRegistry;
  metrics: MetricsRegistry;
  disk: StateDisk;
  /** Every incident journal record as it is made (a brain pair replicates it to the secondary). */
  onRecord?: (line: string) => void;
  /** The brain's own stalls (its LoopWatch): rules' `max_age` leaves them out. */
  stalls?: StallHistory;
}

/**
 * `step` runs each part of the start (a brain of a pair becoming primary yields to the event loop
 * between them: brain/pair/takeover-steps.ts). The order is the listening order: correlation
 * before the rules whose alerts it reads.
 */
export async function startAlerting(config: BrainConfig, d: Deps, step: StepRunner): Promise<AlertingPart> {
  const { clock, log, events } = d;
  const topology = await step('topology', () => new Topology(config.topology ? loadTopologyFile(config.topology) : undefined));
  const incidents = await step(
    'incident journal',
    () =>
      new IncidentStore({
        file: join(config.brain.state_dir, 'incidents.jsonl'),
        clock,
        health: d.disk.health('journal'),
        ...(d.onRecord ? { onRecord: d.onRecord } : {}),
      }),
  );
  const c = config.correlation;
  const { correlator, detachCorrelator } = await step('correlation', () => {
    const correlator = new Correlator({
      clock,
      topology,
      store: incidents,
      agents: d.agents,
      settleMs: c.settle_ms,
      resolveGraceMs: c.resolve_grace_ms,
      lateMs: c.late_ms,
      restartConfirmMs: c.restart_confirm_ms,
    });
    return { correlator, detachCorrelator: correlator.attach(events) };
  });
  const rules = config.rules.enabled ? await step('rules', () => startRules(config, d)) : undefined;
  // A state-change alert (a process exited) cannot be re-derived from data after a restart.
  const restored = await step('restore firing', () => rules?.manager.restoreFiring(correlator.restoredFiring()) ?? 0);
  if (restored > 0) log.info({ restored }, 'state-change alerts firing before the restart restored from the incident journal');

  const detectors = new DetectorStage({
    clock,
    query: new TableQuery(d.series, d.stalls),
    events,
    detectors: createDetectors(config.detectors),
    checkEveryMs: config.detectors.check_every_ms,
    mute: (labels, atMs) => firstMute(rules?.muters ?? [], labels, new Date(atMs)),
  });
  d.metrics.counterFn(
    'floorwatch_detector_dropped_total',
    'Samples or series the named detectors forgot at their bounds.',
    () => detectors.dropped,
  );

  return {
    incidents,
    incidentApi: new IncidentApi({ store: incidents, clock, resolveByHand: (id, by, reason) => correlator.resolveByHand(id, by, reason) }),
    calendar: rules?.calendar,
    phases: (atMs) =>
      Object.fromEntries([...(rules?.calendar?.markets ?? new Map()).entries()].map(([name, m]) => [name, marketPhaseAt(m, atMs)])),
    startDetectors: () => detectors.start(),
    reloadRules: rules ? () => reloadAnswer(rules.manager.reload()) : undefined,
    stop: async () => {
      for (const r of rules?.readiness ?? []) r.stop();
      detectors.stop();
      await rules?.manager.stop();
      detachCorrelator();
      correlator.stop();
    },
    close: () => incidents.close(),
  };
}

function reloadAnswer(r: ReturnType<RuleManager['reload']>): { ok: boolean; message?: string; groups?: number; rules?: number } {
  return r.ok ? { ok: true, groups: r.groups, rules: r.rules } : { ok: false, message: r.message };
}

/** The rules engine and BOD readiness checks; alert changes become events on the event log. */
function startRules(
  config: BrainConfig,
  d: Deps,
): { manager: RuleManager; readiness: BodReadiness[]; muters: readonly Muter[]; calendar: Calendar | undefined } {
  const packaged = (p: string) => p.replace('<packaged>', packageRoot());
  const cal = config.rules.calendar ? loadCalendarFile(packaged(config.rules.calendar)) : undefined;
  const detected = detectionLatency(d.metrics);
  const manager = new RuleManager({
    dir: packaged(config.rules.dir),
    clock: d.clock,
    series: d.series,
    ...(d.stalls ? { stalls: d.stalls } : {}),
    events: d.events,
    agentLabels: agentLabelsFrom(d.agents),
    ...(cal ? { calendar: cal.calendar, muters: cal.muters } : {}),
    log: d.log.child({ component: 'rules' }),
    metrics: d.metrics,
    onAlert: (change) => {
      detected(change);
      d.events.publish(alertEvent(change));
    },
  });
  manager.start();
  const readiness = [...(cal?.calendar.markets.values() ?? [])]
    .filter((m) => m.readiness)
    .map((m) => {
      const r = new BodReadiness({
        clock: d.clock,
        calendar: cal!.calendar,
        market: m.name,
        isUp: componentsUpIn(d.series, d.clock, 5_000),
        publish: publishTo(d.events, d.clock),
      });
      r.start();
      return r;
    });
  return { manager, readiness, muters: cal?.muters ?? [], calendar: cal?.calendar };
}
