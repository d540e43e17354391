/**
 * InfluxDB line protocol, written so that no name or value can break a line or flip a field type.
 *
 * What InfluxDB 1.6 actually parses (checked against influxd 1.6.7, see the tests):
 * - in names and tag values only `\,` `\ ` `\=` are escapes; any other backslash is kept literally.
 * - a backslash at the end of a tag value escapes the following separator and breaks the line; in
 *   measurements, tag keys and field keys so does a backslash before `,` ` ` `=` (their scanner
 *   skips the character after any backslash). Those backslashes are replaced by U+FF3C `＼`:
 *   visible, and harmless. Tag values (foreign text: labels, process names) otherwise round-trip
 *   exactly; names are ours.
 * - there is no escape for newlines outside string fields: CR, LF and TAB become the two visible
 *   characters `\r`, `\n`, `\t` (a literal backslash followed by a letter, stored as written).
 * - string field values unescape `\\` and `\"`; newlines are written as `\n` for the same reason.
 * - numbers without the `i` suffix are floats: every numeric field is written that way, always.
 */

const BACKSLASH_STAND_IN = '\uFF3C';

function replaceControlChars(s: string): string {
  return s.replace(/[\r\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

function guardTrailingBackslash(s: string): string {
  return s.endsWith('\\') ? s.slice(0, -1) + BACKSLASH_STAND_IN : s;
}

function guardEscapingBackslashes(s: string): string {
  return s.replace(/\\(?=[, =]|$)/g, BACKSLASH_STAND_IN);
}

/** Measurement names: commas and spaces are escaped; a leading `#` would make the line a comment. */
export function escapeMeasurement(name: string): string {
  const safe = guardEscapingBackslashes(replaceControlChars(name)).replace(/[, ]/g, (c) => '\\' + c);
  return safe.startsWith('#') ? '\\' + safe : safe;
}

/** Tag keys and field keys: commas, spaces and equals signs are escaped. */
export function escapeKey(key: string): string {
  return guardEscapingBackslashes(replaceControlChars(key)).replace(/[,= ]/g, (c) => '\\' + c);
}

export const escapeTagKey = escapeKey;
export const escapeFieldKey = escapeKey;

/** Tag values: commas, spaces and equals signs are escaped. */
export function escapeTagValue(value: string): string {
  return guardTrailingBackslash(replaceControlChars(value)).replace(/[,= ]/g, (c) => '\\' + c);
}

/** A string field value, quoted. */
export function formatString(value: string): string {
  const escaped = value.replace(/[\\"]/g, (c) => '\\' + c);
  return '"' + replaceControlChars(escaped) + '"';
}

/**
 * A numeric field value, always a float (never the `i` suffix), or undefined for NaN/±Infinity,
 * which line protocol cannot carry: the caller skips the sample and counts it.
 */
export function formatValue(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  return Object.is(value, -0) ? '0' : String(value);
}

export type FieldValue = number | string | boolean;

/** Counts what formatting had to leave out; the brain exports these as metrics. */
export interface LineStats {
  nonFiniteSkipped: number;
  emptyTagsSkipped: number;
  linesWithoutFields: number;
}

export function newLineStats(): LineStats {
  return { nonFiniteSkipped: 0, emptyTagsSkipped: 0, linesWithoutFields: 0 };
}

/**
 * One line: `measurement,tags fields timestampUs`. Tags are sorted (InfluxDB's preferred order),
 * empty tag values left out (1.x rejects them), non-finite numbers left out. Undefined when no
 * field is left, since a line needs at least one.
 */
export function formatLine(
  measurement: string,
  tags: Readonly<Record<string, string | undefined>>,
  fields: Readonly<Record<string, FieldValue | undefined>>,
  timestampUs: number,
  stats: LineStats = newLineStats(),
): string | undefined {
  const fieldText = formatFields(fields, stats);
  if (fieldText === '') {
    stats.linesWithoutFields++;
    return undefined;
  }
  return `${escapeMeasurement(measurement)}${formatTags(tags, stats)} ${fieldText} ${Math.round(timestampUs)}`;
}

/** `,k=v,...` sorted by key, empty keys and values left out (and counted). */
export function formatTags(tags: Readonly<Record<string, string | undefined>>, stats: LineStats = newLineStats()): string {
  let out = '';
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value === undefined) continue;
    if (value === '' || key === '') {
      stats.emptyTagsSkipped++;
      continue;
    }
    out += `,${escapeTagKey(key)}=${escapeTagValue(value)}`;
  }
  return out;
}

function formatFields(fields: Readonly<Record<string, FieldValue | undefined>>, stats: LineStats): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key === '') continue;
    const text = formatFieldValue(value);
    if (text === undefined) {
      stats.nonFiniteSkipped++;
      continue;
    }
    parts.push(`${escapeFieldKey(key)}=${text}`);
  }
  return parts.join(',');
}

function formatFieldValue(value: FieldValue): string | undefined {
  if (typeof value === 'number') return formatValue(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return formatString(value);
}
