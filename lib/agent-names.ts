/**
 * What an agent may call itself: its host name and labels travel in every hello, become tags of
 * every sample in InfluxDB, feed paging routes (`team`, `client_facing`, host globs) and are
 * shown on the wall board and in mails. The agent's config validation and the brain's hello check
 * (brain/ingest/hello-check.ts) use these same bounds, so an agent is told at its own config
 * file's line, not by a refused stream (review S10).
 */

/** A DNS-style host name (letters, digits, `.`, `_`, `-`), at most 253 characters. */
export const HOST_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$';
/** A label name as Prometheus and InfluxDB both take it without quoting. */
export const LABEL_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,62}$';
/** Label values: no spaces, quotes or control characters, at most 128 characters. */
export const LABEL_VALUE_PATTERN = '^[A-Za-z0-9._:/@+-]{0,128}$';
export const MAX_LABELS = 32;

/** The JSON-schema fragment for an agent's `labels` (the agent config uses it). */
export const labelsSchema = {
  type: 'object',
  maxProperties: MAX_LABELS,
  propertyNames: { pattern: LABEL_KEY_PATTERN },
  additionalProperties: { type: 'string', pattern: LABEL_VALUE_PATTERN },
  default: {},
} as const;
