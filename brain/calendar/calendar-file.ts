/**
 * The calendar file: markets (time zone, trading days, phase times, holidays, BOD readiness),
 * maintenance windows, silences and phase policies. Format and examples: docs/rules.md.
 */
import { parseConfigText } from '../../lib/config-file.js';
import { ConfigError } from '../../lib/errors.js';
import { lineOfPath } from '../../lib/yaml-lines.js';
import { phases } from './phase.js';
import { CLOCK_PATTERN, DATE_PATTERN, checkTimeZone, parseClock, weekdays, type Weekday } from './zoned-time.js';

export interface MarketCalendar {
  readonly name: string;
  readonly timeZone: string;
  readonly days: ReadonlySet<Weekday>;
  /** Minutes since local midnight at which each phase begins; Closed after `closed`. */
  readonly bod: number;
  readonly intraday: number;
  readonly eod: number;
  readonly closed: number;
  /** `YYYY-MM-DD`, local dates with no trading day at all. */
  readonly holidays: ReadonlySet<string>;
  readonly readiness: { readonly deadline: number; readonly components: readonly string[] } | undefined;
}

export interface Calendar {
  readonly markets: ReadonlyMap<string, MarketCalendar>;
  /** The market of rules that name none. */
  readonly defaultMarket: string | undefined;
}

const clock = { type: 'string', pattern: CLOCK_PATTERN } as const;
/** An ISO 8601 instant with its offset: `2026-12-24T18:00:00Z`, `2026-12-24T18:00+01:00`. */
const instant = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
} as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;
const common = {
  name: { type: 'string', minLength: 1 },
  match: stringList,
  author: { type: 'string', minLength: 1 },
  reason: { type: 'string', minLength: 1 },
} as const;

const marketSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['time_zone', 'bod', 'intraday', 'eod', 'closed'],
  properties: {
    time_zone: { type: 'string', minLength: 1 },
    days: { type: 'array', items: { enum: weekdays }, uniqueItems: true, default: ['mon', 'tue', 'wed', 'thu', 'fri'] },
    bod: clock,
    intraday: clock,
    eod: clock,
    closed: clock,
    holidays: { type: 'array', items: { type: 'string', pattern: DATE_PATTERN }, default: [] },
    readiness: {
      type: 'object',
      additionalProperties: false,
      required: ['deadline', 'components'],
      properties: { deadline: clock, components: { ...stringList, minItems: 1 } },
    },
  },
} as const;

export const calendarFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['markets'],
  properties: {
    default_market: { type: 'string' },
    markets: { type: 'object', minProperties: 1, additionalProperties: marketSchema },
    maintenance: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'match', 'author', 'reason'],
        properties: {
          ...common,
          starts: instant,
          ends: instant,
          market: { type: 'string' },
          days: { type: 'array', items: { enum: weekdays } },
          from: clock,
          to: clock,
          expires: instant,
        },
      },
    },
    silences: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'match', 'author', 'reason', 'expires'],
        properties: { ...common, id: { type: 'string', minLength: 1 }, starts: instant, expires: instant },
      },
    },
    phase_policy: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'phases', 'match', 'reason'],
        properties: { ...common, market: { type: 'string' }, phases: { type: 'array', items: { enum: phases }, minItems: 1 } },
      },
    },
  },
} as const;

type RawMarket = {
  time_zone: string;
  days: Weekday[];
  bod: string;
  intraday: string;
  eod: string;
  closed: string;
  holidays: string[];
  readiness?: { deadline: string; components: string[] };
};
export interface RawMaintenance {
  name: string;
  match: string[];
  author: string;
  reason: string;
  starts?: string;
  ends?: string;
  market?: string;
  days?: Weekday[];
  from?: string;
  to?: string;
  expires?: string;
}
export interface RawSilence {
  id: string;
  match: string[];
  author: string;
  reason: string;
  starts?: string;
  expires: string;
}
export interface RawPhasePolicy {
  name: string;
  match: string[];
  author?: string;
  reason: string;
  market?: string;
  phases: (typeof phases)[number][];
}
export interface RawCalendarFile {
  default_market?: string;
  markets: Record<string, RawMarket>;
  maintenance: RawMaintenance[];
  silences: RawSilence[];
  phase_policy: RawPhasePolicy[];
}

/** Parses a calendar file's text; the muters are built from it by `loadCalendarFile` (load.ts). */
export function parseCalendarFile(text: string, file: string): { calendar: Calendar; raw: RawCalendarFile } {
  const raw = parseConfigText<RawCalendarFile>(text, calendarFileSchema, file);
  const fail = (path: (string | number)[], problem: string) => new ConfigError(file, lineOfPath(text, path), path.join('.'), problem);
  const markets = new Map<string, MarketCalendar>();
  for (const [name, m] of Object.entries(raw.markets)) {
    try {
      checkTimeZone(m.time_zone);
    } catch {
      throw fail(['markets', name, 'time_zone'], `unknown IANA time zone ${JSON.stringify(m.time_zone)}`);
    }
    const [bod, intraday, eod, closed] = [m.bod, m.intraday, m.eod, m.closed].map(parseClock) as [number, number, number, number];
    // Phases within one local day; a session across midnight (24/5 FX) is not modelled yet.
    if (!(bod <= intraday && intraday <= eod && eod <= closed))
      throw fail(['markets', name, 'intraday'], 'phase times must be in order bod <= intraday <= eod <= closed');
    const readiness = m.readiness ? { deadline: parseClock(m.readiness.deadline), components: m.readiness.components } : undefined;
    markets.set(name, {
      name,
      timeZone: m.time_zone,
      days: new Set(m.days),
      bod,
      intraday,
      eod,
      closed,
      holidays: new Set(m.holidays),
      readiness,
    });
  }
  const defaultMarket = raw.default_market ?? (markets.size === 1 ? [...markets.keys()][0] : undefined);
  if (defaultMarket !== undefined && !markets.has(defaultMarket)) throw fail(['default_market'], 'is not one of the markets');
  const known = (market: string | undefined, path: (string | number)[]) => {
    if (market !== undefined && !markets.has(market)) throw fail(path, 'is not one of the markets');
  };
  raw.maintenance.forEach((w, i) => known(w.market, ['maintenance', i, 'market']));
  raw.phase_policy.forEach((p, i) => known(p.market, ['phase_policy', i, 'market']));
  return { calendar: { markets, defaultMarket }, raw };
}
