/**
 * Wall-clock time in a market's IANA time zone, through Intl only (no tz library): the local
 * date, weekday and minute of an instant, and the instant of a local date and time (DST-safe).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for a time zone Intl does not know. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const weekdays: readonly Weekday[] = WEEKDAYS;

export interface LocalTime {
  /** `YYYY-MM-DD` in the zone. */
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

/**
 * The formatter's fields are whole seconds: the parts of the latest seconds asked for are kept
 * (an alert storm asks for the same instant thousands of times: muters, phases). Read-only.
 */
const recentParts = new Map<string, Readonly<Record<string, string>>>();
const RECENT_PARTS = 64;

function parts(timeZone: string, atMs: number): Readonly<Record<string, string>> {
  const key = `${timeZone}\u0000${Math.floor(atMs / 1000)}`;
  const known = recentParts.get(key);
  if (known) return known;
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(atMs))) out[p.type] = p.value;
  if (recentParts.size >= RECENT_PARTS) recentParts.delete(recentParts.keys().next().value!);
  recentParts.set(key, out);
  return out;
}

export function localTime(timeZone: string, atMs: number): LocalTime {
  const p = parts(timeZone, atMs);
  return {
    date: `${p['year']}-${p['month']}-${p['day']}`,
    weekday: (p['weekday'] ?? 'Sun').toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(p['hour']) * 60 + Number(p['minute']),
  };
}

/** The zone's offset from UTC at an instant, in ms (London in summer: +3 600 000). */
function offsetAt(timeZone: string, atMs: number): number {
  const p = parts(timeZone, atMs);
  const asUtc = Date.UTC(
    Number(p['year']),
    Number(p['month']) - 1,
    Number(p['day']),
    Number(p['hour']),
    Number(p['minute']),
    Number(p['second']),
  );
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/**
 * The instant of local `date` at `minutes` past midnight in the zone. A time skipped by a DST
 * switch maps to the instant after the gap; a repeated time to its first occurrence.
 */
export function zonedInstant(timeZone: string, date: string, minutes: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d, 0, minutes);
  // The offsets in force half a day either side cover any DST switch on that date.
  const candidates = [naive - offsetAt(timeZone, naive - 43_200_000), naive - offsetAt(timeZone, naive + 43_200_000)].sort((a, b) => a - b);
  const wanted = (at: number) => {
    const t = localTime(timeZone, at);
    return t.date === date && t.minutes === minutes;
  };
  return candidates.find(wanted) ?? candidates[candidates.length - 1]!;
}

/** The local date `days` after `date` (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** `HH:MM` → minutes since midnight. */
export function parseClock(text: string): number {
  const [h, m] = text.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** `HH:MM`, and `24:00` for the end of a day (a market open until midnight, or around the clock). */
export const CLOCK_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
