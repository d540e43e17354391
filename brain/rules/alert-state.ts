/**
 * The alert state machine of Prometheus (rules/alerting.go), as one pure function
 * (style anchor 5), extended with hysteresis: a firing alert resolves only when its
 * observation is `cleared`, which a kind may make stricter than `!active`.
 *
 *   (none) ──active──▶ pending ──active for `for`──▶ firing ──cleared (+keep_firing_for)──▶ inactive
 *      ▲                 │ not active                                                      │ retention
 *      └─────────────────┴─────────────────────────────────────────────────────────────────┘
 */
import type { Labels } from '../../lib/labels.js';
import type { Observation, RuleTiming } from './rule.js';

/**
 * inactive: resolved, kept for a while so the resolution is not lost (and can be re-sent).
 * pending: active for less than the rule's `for`.
 * firing: active for at least `for` (or held by `keep_firing_for` / hysteresis).
 */
export type AlertState = 'inactive' | 'pending' | 'firing';

export interface AlertInstance {
  readonly labels: Labels;
  readonly state: AlertState;
  /** The last observed value. */
  readonly value: number;
  /** When the condition became active (pending began). */
  readonly activeAt: number;
  readonly firedAt: number | undefined;
  readonly resolvedAt: number | undefined;
  /** When the condition cleared while firing, held by keep_firing_for. */
  readonly keepFiringSince: number | undefined;
}

/** Resolved alerts stay this long (Prometheus keeps 15 min so the resolve message is re-sent). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/**
 * The next state of one alert instance: `prev` (undefined when there was none), this
 * evaluation's observation for its label set (undefined when the kind reported none: treated
 * as not active and cleared), at `now`. Returns undefined when the instance is dropped.
 */
export function step(
  prev: AlertInstance | undefined,
  obs: Observation | undefined,
  now: number,
  timing: RuleTiming,
): AlertInstance | undefined {
  const active = obs?.active ?? false;
  const cleared = obs ? obs.cleared : true;
  if (!prev || prev.state === 'inactive') {
    if (active)
      return promote(
        {
          labels: obs!.labels,
          state: 'pending',
          value: obs!.value,
          activeAt: now,
          firedAt: undefined,
          resolvedAt: undefined,
          keepFiringSince: undefined,
        },
        now,
        timing,
      );
    if (prev && now - (prev.resolvedAt ?? now) < RESOLVED_RETENTION_MS) return prev;
    return undefined;
  }
  const value = obs?.value ?? prev.value;
  if (prev.state === 'pending') {
    // A pending alert that stops being active is forgotten: it never fired, nobody was told.
    return active ? promote({ ...prev, value }, now, timing) : undefined;
  }
  if (!cleared) return { ...prev, value, keepFiringSince: undefined };
  const since = prev.keepFiringSince ?? now;
  if (now - since < timing.keepFiringForMs) return { ...prev, value, keepFiringSince: since };
  return { ...prev, value, state: 'inactive', resolvedAt: now, keepFiringSince: undefined };
}

function promote(a: AlertInstance, now: number, timing: RuleTiming): AlertInstance {
  if (a.state === 'pending' && now - a.activeAt >= timing.forMs) return { ...a, state: 'firing', firedAt: now };
  return a;
}

const RANK: Record<AlertState, number> = { inactive: 0, pending: 1, firing: 2 };

/** A rule's state: the highest over its instances. */
export function highestState(alerts: Iterable<AlertInstance>): AlertState {
  let best: AlertState = 'inactive';
  for (const a of alerts) if (RANK[a.state] > RANK[best]) best = a.state;
  return best;
}
