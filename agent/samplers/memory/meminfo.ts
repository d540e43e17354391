/** /proc/meminfo: "Name:   value kB" lines; values in kB (KiB) become bytes, counts stay counts. */

export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const rest = line.slice(colon + 1).trim();
    const value = Number.parseInt(rest, 10);
    if (Number.isNaN(value)) continue;
    out.set(line.slice(0, colon), rest.endsWith('kB') ? value * 1024 : value);
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
