/**
 * /proc/vmstat: "name value" lines, values in pages (nr_*) or events. Only wanted keys are
 * looked up, each with one search: the file has ~180 lines, and splitting them every second was
 * most of the memory sampler's allocation.
 */
export function parseVmstat(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of wanted) {
    const value = lineValue(text, key, ' ');
    if (value !== undefined && Number.isFinite(Number(value))) out.set(key, Number(value));
  }
  return out;
}

/** What follows `key` + `separator` on the line starting with them; undefined when there is none. */
export function lineValue(text: string, key: string, separator: string): string | undefined {
  const needle = key + separator;
  let start: number;
  if (text.startsWith(needle)) start = needle.length;
  else {
    const at = text.indexOf('\n' + needle);
    if (at < 0) return undefined;
    start = at + 1 + needle.length;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

/** Page counts right now. */
export const vmstatGauges = ['nr_dirty', 'nr_writeback'] as const;
/** Pages ever dirtied / written back since boot. */
export const vmstatCounters = ['nr_dirtied', 'nr_written'] as const;
/** Pages at which writers are throttled / background writeback starts (what dirty_* settings work out to). */
export const vmstatThresholds = [
  ['nr_dirty_threshold', 'dirty_threshold_bytes'],
  ['nr_dirty_background_threshold', 'dirty_background_threshold_bytes'],
] as const;

export const vmstatKeys: ReadonlySet<string> = new Set([...vmstatGauges, ...vmstatCounters, ...vmstatThresholds.map(([k]) => k)]);
