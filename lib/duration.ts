/**
 * Durations as people write them everywhere (`250ms`, `30s`, `5m`, `1h30m`, `1d`), Prometheus-
 * style: rule and calendar files, CLI flags (`--for 30m`) and the HTTP API (`"for": "2h"`).
 * A bare number is refused: "30" could be seconds or minutes, and guessing silenced pages forever
 * once (review S4). Schemas check the shape with DURATION_PATTERN, so a typo is reported at its
 * file:line:field.
 */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SHAPE = new RegExp(DURATION_PATTERN);

/** Milliseconds in `text`; throws on a shape the schema would have refused, or past 2^53 ms. */
export function parseDuration(text: string): number {
  if (!SHAPE.test(text)) throw new Error(`not a duration: ${JSON.stringify(text.slice(0, 40))} (write 30s, 5m, 2h, 1d, 1h30m)`);
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  if (!Number.isSafeInteger(ms)) throw new Error(`duration ${JSON.stringify(text.slice(0, 40))} is too long`);
  return ms;
}

/** The duration schema fragment, for every duration field of config, rules and calendars. */
export const durationSchema = { type: 'string', pattern: DURATION_PATTERN } as const;
