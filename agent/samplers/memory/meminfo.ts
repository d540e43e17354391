import { lineValue } from './vmstat.js';

/**
 * /proc/meminfo: "Name:   value kB" lines; values in kB (KiB) become bytes, counts stay counts.
 * Only the wanted names are looked up (one search each, no split of the ~55 lines).
 */
export function parseMeminfo(text: string, wanted: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of wanted) {
    const rest = lineValue(text, key, ':')?.trim();
    if (rest === undefined) continue;
    const value = Number.parseInt(rest, 10);
    if (!Number.isNaN(value)) out.set(key, rest.endsWith('kB') ? value * 1024 : value);
  }
  return out;
}

/** meminfo key → `memory` field, all in bytes. */
export const meminfoFields: readonly (readonly [string, string])[] = [
  ['MemTotal', 'mem_total_bytes'],
  ['MemAvailable', 'mem_available_bytes'],
  ['Cached', 'cached_bytes'],
  ['Buffers', 'buffers_bytes'],
  ['Dirty', 'dirty_bytes'],
  ['Writeback', 'writeback_bytes'],
];

export const meminfoKeys: readonly string[] = meminfoFields.map(([key]) => key);
