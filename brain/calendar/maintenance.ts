/**
 * Maintenance windows and phase policies, both Muters. A window is either one period
 * (`starts`–`ends`) or a weekly recurrence in a market's local time (`days`, `from`–`to`,
 * until `expires`): "24/6 — one day for maintenance" (seed 002). A phase policy holds back
 * pages in some phases of the trading day ("a feed handler down at 03:00 on a Sunday is not a
 * page; at 08:01 London time it is").
 */
import { matchesAll, type LabelMatcher, type Labels } from '../../lib/labels.js';
import type { Calendar, MarketCalendar } from './calendar-file.js';
import type { Muter, MuteReason } from './muter.js';
import type { Phase } from './phase.js';
import { marketPhaseAt } from './phases.js';
import { localTime, type Weekday } from './zoned-time.js';

export type WindowTime =
  | { readonly kind: 'once'; readonly startsAt: number; readonly endsAt: number }
  | {
      readonly kind: 'weekly';
      readonly market: MarketCalendar;
      readonly days: ReadonlySet<Weekday>;
      readonly from: number;
      readonly to: number;
      readonly expiresAt: number | undefined;
    };

export interface MaintenanceWindow {
  readonly name: string;
  readonly matchers: readonly LabelMatcher[];
  readonly author: string;
  readonly reason: string;
  readonly time: WindowTime;
}

export class MaintenanceWindows implements Muter {
  readonly #windows: readonly MaintenanceWindow[];

  constructor(windows: readonly MaintenanceWindow[]) {
    this.#windows = windows;
  }

  mutes(labels: Labels, at: Date): MuteReason | undefined {
    const t = at.getTime();
    for (const w of this.#windows) {
      const until = openUntil(w.time, t);
      if (until !== undefined && matchesAll(w.matchers, labels))
        return { kind: 'maintenance', id: w.name, author: w.author, reason: w.reason, until };
    }
    return undefined;
  }
}

/** When the window closes, if it is open at `t`. `to` before `from` spans local midnight. */
function openUntil(w: WindowTime, t: number): number | undefined {
  if (w.kind === 'once') return t >= w.startsAt && t < w.endsAt ? w.endsAt : undefined;
  if (w.expiresAt !== undefined && t >= w.expiresAt) return undefined;
  const local = localTime(w.market.timeZone, t);
  const minutesLeft = (to: number) => t + (to - local.minutes) * 60_000;
  if (w.from <= w.to) return w.days.has(local.weekday) && local.minutes >= w.from && local.minutes < w.to ? minutesLeft(w.to) : undefined;
  if (w.days.has(local.weekday) && local.minutes >= w.from) return minutesLeft(w.to + 1440);
  const yesterday = localTime(w.market.timeZone, t - 86_400_000).weekday;
  return w.days.has(yesterday) && local.minutes < w.to ? minutesLeft(w.to) : undefined;
}

export interface PhasePolicy {
  readonly name: string;
  /** undefined = the calendar's default market. */
  readonly market: string | undefined;
  readonly phases: readonly Phase[];
  /** On the alert's labels plus `severity` and `phase`, e.g. `severity!="critical"`. */
  readonly matchers: readonly LabelMatcher[];
  readonly author: string;
  readonly reason: string;
}

export class PhasePolicies implements Muter {
  readonly #calendar: Calendar;
  readonly #policies: readonly PhasePolicy[];

  constructor(calendar: Calendar, policies: readonly PhasePolicy[]) {
    this.#calendar = calendar;
    this.#policies = policies;
  }

  mutes(labels: Labels, at: Date): MuteReason | undefined {
    for (const p of this.#policies) {
      const market = this.#calendar.markets.get(p.market ?? labels['market'] ?? this.#calendar.defaultMarket ?? '');
      if (!market || !p.phases.includes(marketPhaseAt(market, at.getTime()))) continue;
      if (matchesAll(p.matchers, labels)) return { kind: 'phase', id: p.name, author: p.author, reason: p.reason, until: undefined };
    }
    return undefined;
  }
}
