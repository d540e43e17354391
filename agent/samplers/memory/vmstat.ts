/** /proc/vmstat: "name value" lines, values in pages (nr_*) or events. Only wanted keys are kept. */

export function parseVmstat(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const key = line.slice(0, space);
    if (!wanted.has(key)) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out.set(key, value);
  }
  return out;
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

export const vmstatKeys: ReadonlySet<string> = new Set([
  ...vmstatGauges,
  ...vmstatCounters,
  ...vmstatThresholds.map(([k]) => k),
]);
