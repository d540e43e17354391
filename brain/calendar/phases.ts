/**
 * Which phase of its trading day a market is in at an instant. Pure: the same calendar, market
 * and instant always give the same phase, so rules and tests agree across time zones and DST.
 */
import type { Calendar, MarketCalendar } from './calendar-file.js';
import type { Phase } from './phase.js';
import { localTime } from './zoned-time.js';

export function phaseAt(calendar: Calendar, market: string, at: Date | number): Phase {
  const m = calendar.markets.get(market);
  if (!m) throw new Error(`unknown market ${JSON.stringify(market)}`);
  return marketPhaseAt(m, typeof at === 'number' ? at : at.getTime());
}

export function marketPhaseAt(m: MarketCalendar, atMs: number): Phase {
  const t = localTime(m.timeZone, atMs);
  if (!isTradingDay(m, t.date, t.weekday)) return 'closed';
  if (t.minutes < m.bod) return 'closed';
  if (t.minutes < m.intraday) return 'bod';
  if (t.minutes < m.eod) return 'intraday';
  if (t.minutes < m.closed) return 'eod';
  return 'closed';
}

export function isTradingDay(m: MarketCalendar, date: string, weekday: string): boolean {
  return m.days.has(weekday as never) && !m.holidays.has(date);
}
