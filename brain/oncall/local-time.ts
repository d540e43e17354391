/** An instant seen on the wall clock of an IANA zone, through Intl (no tz library needed). */

export interface LocalTime {
  /** Days since 1970-01-01 of the local calendar date (DST-proof day arithmetic). */
  readonly dayNumber: number;
  /** 0 = Sunday ... 6 = Saturday. */
  readonly weekday: number;
  /** Minutes since local midnight, 0..1439. */
  readonly minuteOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function localTime(at: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const num = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const dayNumber = Date.UTC(num('year'), num('month') - 1, num('day')) / 86_400_000;
  return { dayNumber, weekday: (dayNumber + 4) % 7, minuteOfDay: num('hour') * 60 + num('minute') };
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** "YYYY-MM-DD" as a day number, or NaN. */
export function dayNumberOf(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).getUTCDate() === Number(m[3]) ? ms / 86_400_000 : NaN;
}

/** "HH:MM" (24:00 allowed as an end) as minutes, or NaN. */
export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return NaN;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes <= 1440 ? minutes : NaN;
}
