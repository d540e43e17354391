/**
 * The rules' read side over the brain's state: series from the SeriesTable (by measurement
 * and field, from the table's own index) and events from the EventLog with
 * the sending agent's identity and labels merged into their tags, so a rule can match
 * `host`, `desk` or `colour` on an event as on a series.
 */
import type { BrainEvent } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { Labels } from '../../lib/labels.js';
import type { RuleEvent, RuleQuery, SeriesSample } from './rule.js';

/** The agent's labels as a series carries them (agent, host, floor, desk, colour, role). */
export type AgentLabels = (agentId: string) => Labels | undefined;

/** For the brain's AgentRegistry: `agentLabelsFrom(agents)`. */
export function agentLabelsFrom(agents: { get(id: string): { host: string; labels: Record<string, string> } | undefined }): AgentLabels {
  return (id) => {
    const a = agents.get(id);
    return a ? { ...a.labels, agent: id, ...(a.host ? { host: a.host } : {}) } : undefined;
  };
}

/** The brain's own stalls (LoopWatch.stalledSinceMs). */
export interface StallHistory {
  stalledSinceMs(atMs: number): number;
}

export class TableQuery implements RuleQuery {
  readonly #table: SeriesTable;
  readonly #stalls: StallHistory | undefined;

  constructor(table: SeriesTable, stalls?: StallHistory) {
    this.#table = table;
    this.#stalls = stalls;
  }

  series(measurement: string, field: string): Iterable<SeriesSample> {
    return this.#table.named(measurement, field);
  }

  stalledSinceMs(atMs: number): number {
    return this.#stalls?.stalledSinceMs(atMs) ?? 0;
  }
}

/** A brain event as rules see it; times are the brain's receipt time, the clock rules run on. */
export function toRuleEvent(e: BrainEvent, agentLabels: AgentLabels | undefined): RuleEvent {
  const fromAgent = e.agentId ? agentLabels?.(e.agentId) : undefined;
  const labels: Record<string, string> = { ...(fromAgent ?? {}), ...e.tags };
  if (e.agentId && !labels['agent'] && e.source === 'agent') labels['agent'] = e.agentId;
  return { kind: e.kind, atMs: e.receivedUs / 1000, eventTimeUs: e.timeUs, labels, attrs: e.attrs, values: e.values, severity: e.severity };
}
