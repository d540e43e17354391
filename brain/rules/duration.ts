/**
 * Durations as rule authors write them (`250ms`, `30s`, `5m`, `1h30m`, `1d`), Prometheus-style.
 * The schema checks the shape with DURATION_PATTERN, so a typo is reported at its file:line:field.
 */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in `text`; throws on a shape the schema would have refused. */
export function parseDuration(text: string): number {
  if (!new RegExp(DURATION_PATTERN).test(text)) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return ms;
}

/** The duration schema fragment, for every duration field of rules and calendars. */
export const durationSchema = { type: 'string', pattern: DURATION_PATTERN } as const;
