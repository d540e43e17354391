/**
 * The BOD readiness check (seed 002: "When all the BOD activities are done, a mail notification
 * about the status of the system can be sent"): at a market's deadline on each trading day,
 * exactly one result — "system ready", or "not ready: X, Y" naming the missing components.
 * Driven by the injected clock.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { Calendar, MarketCalendar } from './calendar-file.js';
import { isTradingDay } from './phases.js';
import { addDays, localTime, zonedInstant } from './zoned-time.js';

export interface ReadinessResult {
  readonly kind: 'bod.ready' | 'bod.not_ready';
  readonly market: string;
  /** The local trading date checked. */
  readonly date: string;
  readonly deadlineMs: number;
  readonly missing: readonly string[];
  /** `system ready` or `not ready: fh-b, tp-a`. */
  readonly message: string;
}

export interface ReadinessOptions {
  readonly clock: Clock;
  readonly calendar: Calendar;
  readonly market: string;
  /** Whether a component is up now (see `componentsUpIn`). */
  readonly isUp: (component: string) => boolean;
  readonly publish: (r: ReadinessResult) => void;
}

export class BodReadiness {
  readonly #o: ReadinessOptions;
  readonly #market: MarketCalendar;
  readonly #readiness: NonNullable<MarketCalendar['readiness']>;
  #timer: Timer | undefined;
  #lastDate = '';

  constructor(o: ReadinessOptions) {
    const market = o.calendar.markets.get(o.market);
    if (!market?.readiness) throw new Error(`market ${JSON.stringify(o.market)} has no readiness section`);
    this.#o = o;
    this.#market = market;
    this.#readiness = market.readiness;
  }

  /** Schedules the next deadline (none retroactively: starting after today's means tomorrow's). */
  start(): void {
    const next = nextDeadline(this.#market, this.#readiness.deadline, this.#o.clock.now());
    if (!next) return;
    this.#timer = this.#o.clock.setTimeout(() => this.#check(next.date, next.at), next.at - this.#o.clock.now());
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #check(date: string, deadlineMs: number): void {
    // One result per trading date, even if a timer were to fire twice.
    if (date !== this.#lastDate) {
      this.#lastDate = date;
      const missing = this.#readiness.components.filter((c) => !this.#o.isUp(c));
      const message = missing.length === 0 ? 'system ready' : `not ready: ${missing.join(', ')}`;
      this.#o.publish({
        kind: missing.length === 0 ? 'bod.ready' : 'bod.not_ready',
        market: this.#market.name,
        date,
        deadlineMs,
        missing,
        message,
      });
    }
    this.start();
  }
}

/** The first deadline after `afterMs` on a trading day of the market (within two weeks). */
export function nextDeadline(m: MarketCalendar, deadline: number, afterMs: number): { date: string; at: number } | undefined {
  const today = localTime(m.timeZone, afterMs).date;
  for (let i = 0; i < 14; i++) {
    const date = addDays(today, i);
    const weekday = localTime(m.timeZone, zonedInstant(m.timeZone, date, 720)).weekday;
    if (!isTradingDay(m, date, weekday)) continue;
    const at = zonedInstant(m.timeZone, date, deadline);
    if (at > afterMs) return { date, at };
  }
  return undefined;
}

/**
 * A component is up when a series of it (plant component, agent id or host) was updated within
 * `freshMs` and, for a plant component, its state is not down (4).
 */
export function componentsUpIn(series: SeriesTable, clock: Clock, freshMs: number): (component: string) => boolean {
  return (component) => {
    const now = clock.now();
    for (const s of series.select()) {
      if (s.tags['component'] !== component && s.agentId !== component && s.tags['host'] !== component) continue;
      if (now - s.lastUs / 1000 > freshMs) continue;
      if (s.measurement === 'plant' && s.field === 'state' && s.last === 4) return false;
      if (s.measurement !== 'plant' || s.field === 'state') return true;
    }
    return false;
  };
}

/** Publishes results into the brain's EventLog as brain events (severity 0 ready, 3 not). */
export function publishTo(events: EventLog, clock: Clock): (r: ReadinessResult) => void {
  return (r) =>
    events.publish({
      timeUs: clock.nowUs(),
      kind: r.kind,
      source: 'brain',
      agentId: '',
      tags: { market: r.market },
      attrs: { message: r.message, date: r.date, missing: r.missing.join(',') },
      values: { missing: r.missing.length },
      severity: r.missing.length === 0 ? 0 : 3,
    });
}
