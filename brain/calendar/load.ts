/**
 * A calendar file, loaded whole: the calendar itself and its muters (silences first, then
 * maintenance windows, then phase policies: the most specific reason is the one recorded).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, FloorwatchError } from '../../lib/errors.js';
import { parseMatcher, type LabelMatcher } from '../../lib/labels.js';
import { lineOfPath } from '../../lib/yaml-lines.js';
import { parseCalendarFile, type Calendar } from './calendar-file.js';
import { MaintenanceWindows, PhasePolicies, type MaintenanceWindow } from './maintenance.js';
import type { Muter } from './muter.js';
import { Silences } from './silences.js';
import { parseClock } from './zoned-time.js';

export interface LoadedCalendar {
  readonly calendar: Calendar;
  readonly silences: Silences;
  readonly maintenance: MaintenanceWindows;
  readonly phasePolicies: PhasePolicies;
  /** In the order they are consulted. */
  readonly muters: readonly Muter[];
}

export function loadCalendarFile(file: string): LoadedCalendar {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  return parseCalendar(text, file);
}

export function parseCalendar(text: string, file: string): LoadedCalendar {
  const { calendar, raw } = parseCalendarFile(text, file);
  const fail = (path: (string | number)[], problem: string) => new ConfigError(file, lineOfPath(text, path), path.join('.'), problem);
  const matchers = (texts: readonly string[], path: (string | number)[]): LabelMatcher[] =>
    texts.map((t, i) => {
      try {
        return parseMatcher(t);
      } catch (err) {
        throw fail([...path, i], (err as Error).message);
      }
    });
  const instant = (text: string | undefined, path: (string | number)[]) => {
    const ms = text === undefined ? undefined : Date.parse(text);
    if (ms !== undefined && Number.isNaN(ms)) throw fail(path, 'not a valid instant');
    return ms;
  };

  const silences = new Silences();
  raw.silences.forEach((s, i) => {
    const path = ['silences', i];
    silences.add({
      id: s.id,
      matchers: matchers(s.match, [...path, 'match']),
      author: s.author,
      reason: s.reason,
      startsAt: instant(s.starts, [...path, 'starts']) ?? 0,
      endsAt: instant(s.expires, [...path, 'expires'])!,
    });
  });

  const windows: MaintenanceWindow[] = raw.maintenance.map((w, i) => {
    const path = ['maintenance', i];
    const base = { name: w.name, matchers: matchers(w.match, [...path, 'match']), author: w.author, reason: w.reason };
    if (w.starts !== undefined || w.ends !== undefined) {
      if (w.starts === undefined || w.ends === undefined)
        throw fail([...path, w.starts === undefined ? 'starts' : 'ends'], 'is required (a one-off window has starts and ends)');
      if (w.days || w.from || w.to)
        throw fail([...path, 'days'], 'a window is either one-off (starts/ends) or weekly (days/from/to), not both');
      return {
        ...base,
        time: { kind: 'once' as const, startsAt: instant(w.starts, [...path, 'starts'])!, endsAt: instant(w.ends, [...path, 'ends'])! },
      };
    }
    if (!w.days || w.from === undefined || w.to === undefined)
      throw fail([...path, !w.days ? 'days' : w.from === undefined ? 'from' : 'to'], 'is required (a weekly window has days, from and to)');
    const market = calendar.markets.get(w.market ?? calendar.defaultMarket ?? '');
    if (!market) throw fail([...path, 'market'], 'is required (no default market): weekly times are local to a market');
    return {
      ...base,
      time: {
        kind: 'weekly' as const,
        market,
        days: new Set(w.days),
        from: parseClock(w.from),
        to: parseClock(w.to),
        expiresAt: instant(w.expires, [...path, 'expires']),
      },
    };
  });
  const maintenance = new MaintenanceWindows(windows);

  const phasePolicies = new PhasePolicies(
    calendar,
    raw.phase_policy.map((p, i) => ({
      name: p.name,
      market: p.market,
      phases: p.phases,
      matchers: matchers(p.match, ['phase_policy', i, 'match']),
      author: p.author ?? 'calendar',
      reason: p.reason,
    })),
  );
  return { calendar, silences, maintenance, phasePolicies, muters: [silences, maintenance, phasePolicies] };
}
