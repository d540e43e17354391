/** "HH:MM zone" in a recipient's own wall time, without a tz library (Intl knows the IANA zones). */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** "08:01Z" for UTC (or no zone), else "09:01 BST", "03:01 EST", "16:01 GMT+8". */
export function hhmmZone(at: number, timeZone?: string): string {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    const d = new Date(at);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`;
  }
  const parts = formatterFor(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

/** "2026-11-23 08:01:07Z": for mail bodies and timelines, which sort and compare well in UTC. */
export function isoMinute(at: number): string {
  return new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
