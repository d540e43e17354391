/**
 * Parses a log line's own timestamp (from a named capture) into µs since the epoch, without
 * Date.parse, which drops sub-millisecond digits and guesses zones.
 */
import type { TimestampFormat } from './config.js';

// YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH[:]MM]
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/;
// FIX UTCTimestamp: YYYYMMDD-HH:MM:SS[.fraction], always UTC
const FIX = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** µs since the epoch, or undefined when the text does not parse. */
export function parseTimestampUs(text: string, format: TimestampFormat, utcOffsetMinutes = 0): number | undefined {
  switch (format) {
    case 'unix_s':
    case 'unix_ms':
    case 'unix_us':
    case 'unix_ns':
      return parseUnix(text, format);
    case 'fix':
      return fromParts(FIX.exec(text), 0);
    case 'iso8601':
      return fromParts(ISO.exec(text.trim()), utcOffsetMinutes);
  }
}

const UNIX_SCALE = { unix_s: 1e6, unix_ms: 1e3, unix_us: 1, unix_ns: 1e-3 } as const;

function parseUnix(text: string, format: keyof typeof UNIX_SCALE): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * UNIX_SCALE[format]);
}

function fromParts(m: RegExpExecArray | null, defaultOffsetMinutes: number): number | undefined {
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(ms)) return undefined;
  const fraction = m[7] ? Math.round(Number(`0.${m[7]}`) * 1e6) : 0;
  return (ms - zoneOffsetMinutes(m[8], defaultOffsetMinutes) * 60_000) * 1000 + fraction;
}

function zoneOffsetMinutes(zone: string | undefined, fallback: number): number {
  if (!zone) return fallback;
  if (zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const sign = digits[0] === '-' ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}
