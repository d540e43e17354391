/**
 * Turns two consecutive scans of one watch into process.appeared / process.vanished events.
 * Events follow the pid set, not just the count: a process that died and was restarted between
 * two scans leaves the count unchanged but is still a vanish and an appearance.
 */
import type { EventInput } from '../../sampler.js';

export interface WatchState {
  /** False until the first scan: that scan is a baseline, not a change. */
  known: boolean;
  pids: number[];
  ticks: Map<string, number>;
  atMs: number;
}

export interface WatchEvent {
  kind: 'process.appeared' | 'process.vanished';
  input: Required<Pick<EventInput, 'attrs' | 'values' | 'severity'>>;
}

/** Attributes are capped at 1 KiB by the agent: cut the pid list ourselves, visibly. */
const MAX_PID_LIST = 1000;

export function watchEvents(watch: { min: number }, previous: WatchState, pids: readonly number[]): WatchEvent[] {
  const count = pids.length;
  const belowMin = count < watch.min;
  if (!previous.known) {
    return belowMin ? [vanished([], pids, previous.pids.length, watch.min, { first_scan: 'true' })] : [];
  }
  const before = new Set(previous.pids);
  const now = new Set(pids);
  const gone = previous.pids.filter((p) => !now.has(p));
  const born = pids.filter((p) => !before.has(p));
  const events: WatchEvent[] = [];
  if (gone.length > 0) events.push(vanished(gone, pids, previous.pids.length, watch.min, {}));
  if (born.length > 0) {
    const recovered = previous.pids.length < watch.min && !belowMin;
    events.push({
      kind: 'process.appeared',
      input: {
        attrs: { pids: pidList(pids), changed_pids: pidList(born), ...(recovered ? { recovered: 'true' } : {}) },
        values: { count, previous: previous.pids.length, min: watch.min },
        severity: 0,
      },
    });
  }
  return events;
}

function vanished(
  gone: readonly number[],
  pids: readonly number[],
  previous: number,
  min: number,
  extra: Record<string, string>,
): WatchEvent {
  return {
    kind: 'process.vanished',
    input: {
      attrs: { pids: pidList(pids), changed_pids: pidList(gone), ...extra },
      values: { count: pids.length, previous, min },
      severity: pids.length < min ? 3 : 0,
    },
  };
}

function pidList(pids: readonly number[]): string {
  const text = [...pids].sort((a, b) => a - b).join(',');
  return text.length <= MAX_PID_LIST ? text : `${text.slice(0, text.lastIndexOf(',', MAX_PID_LIST))},…`;
}
