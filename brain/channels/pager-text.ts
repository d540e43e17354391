/**
 * Fits an incident into the few characters a pager shows, most important first:
 * `INC-42 SEV2 FH A down @ldn-1 08:01Z`. Deterministic: the same notification and options give
 * the same text. Shortening goes in stages, each only if the text is still too long:
 *   1. the abbreviation table, applied to every field;
 *   2. whole words dropped from the least important field first (when, then where, then what),
 *      a field that lost words ends in the marker;
 *   3. only then a word is cut, at a character (grapheme) boundary, and ends in the marker.
 * No word is ever cut without the marker, and the result never exceeds maxLength.
 */
import { abbreviate, defaultAbbreviations, type Abbreviation } from './abbreviations.js';
import { hhmmZone } from './wall-time.js';
import { severityLabel, type Notification } from './notification.js';

export interface PagerTextOptions {
  /** Characters the pager shows: 80, 128 (hfaxd's default MaxMsgLength), 160... At least 16. */
  readonly maxLength: number;
  /** Fold to 7-bit ASCII (TAP pagers are 7-bit); default true. Length is then bytes as well. */
  readonly ascii?: boolean;
  readonly abbreviations?: readonly Abbreviation[];
}

interface Field {
  readonly words: string[];
  /** Words this field must keep before a word is cut instead. */
  readonly minWords: number;
  readonly prefix: string;
  /** Lost words or characters: rendered with the marker. */
  marked: boolean;
}

const KIND_TAG: Record<Notification['kind'], string> = { page: '', resolve: 'RESOLVED', status: 'UPDATE', bod: 'BOD', eod: 'EOD' };
const MIN_LENGTH = 16;

export function pagerText(n: Notification, opts: PagerTextOptions): string {
  if (!(opts.maxLength >= MIN_LENGTH)) throw new RangeError(`pager maxLength must be at least ${MIN_LENGTH}`);
  const ascii = opts.ascii ?? true;
  const marker = ascii ? '+' : '…';
  const clean = (s: string) => normalise(s, ascii);
  const head = [clean(n.incidentId), severityLabel(n.severity), KIND_TAG[n.kind]].filter(Boolean).join(' ');
  const raw = { what: clean(n.what), where: clean(n.where), when: clean(hhmmZone(n.when, n.recipient.timeZone)) };

  const plain = render(head, fieldsOf(raw), marker);
  if (length(plain) <= opts.maxLength) return plain;

  const table = opts.abbreviations ?? defaultAbbreviations;
  const fields = fieldsOf({ what: abbreviate(raw.what, table), where: abbreviate(raw.where, table), when: raw.when });
  return shorten(head, fields, marker, opts.maxLength);
}

/** what, where, when: listed most important first, shortened from the end of this list. */
function fieldsOf(f: { what: string; where: string; when: string }): Field[] {
  return [
    { words: words(f.what), minWords: 1, prefix: '', marked: false },
    { words: words(f.where), minWords: 1, prefix: '@', marked: false },
    { words: words(f.when), minWords: 0, prefix: '', marked: false },
  ];
}

function shorten(head: string, fields: Field[], marker: string, max: number): string {
  const over = () => length(render(head, fields, marker)) - max;
  for (let i = fields.length - 1; i >= 0 && over() > 0; i--) {
    const field = fields[i]!;
    while (field.words.length > field.minWords && over() > 0) {
      field.words.pop();
      field.marked = true;
    }
  }
  // Every field is down to its last word: cut the longest remaining word, at grapheme boundaries.
  while (over() > 0) {
    const field = longestLastWord(fields);
    if (!field) break;
    const last = field.words.length - 1;
    const graphemes = graphemesOf(field.words[last]!);
    const cut = over() + (field.marked ? 0 : length(marker));
    field.words[last] = graphemes.slice(0, Math.max(1, graphemes.length - cut)).join('');
    field.marked = true;
  }
  const text = render(head, fields, marker);
  if (length(text) <= max) return text;
  // Only a limit shorter than the head itself gets here.
  const graphemes = graphemesOf(text);
  while (graphemes.length > 0 && length(graphemes.join('') + marker) > max) graphemes.pop();
  return graphemes.join('') + marker;
}

/** The field whose last word is longest and can still lose a grapheme; ties go to the less important. */
function longestLastWord(fields: readonly Field[]): Field | undefined {
  let best: Field | undefined;
  let bestLength = 0;
  for (const f of fields) {
    const word = f.words[f.words.length - 1];
    if (word === undefined || graphemesOf(word).length <= 1) continue;
    if (length(word) >= bestLength) {
      best = f;
      bestLength = length(word);
    }
  }
  return best;
}

function render(head: string, fields: readonly Field[], marker: string): string {
  const parts = [head];
  for (const f of fields) {
    if (f.words.length === 0) continue;
    parts.push(f.prefix + f.words.join(' ') + (f.marked ? marker : ''));
  }
  return parts.join(' ');
}

function graphemesOf(s: string): string[] {
  return [...segmenter.segment(s)].map((g) => g.segment);
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Code points: what a carrier counts; equal to bytes once folded to ASCII. */
function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function words(s: string): string[] {
  return s.split(' ').filter(Boolean);
}

/** One line of printable text: SNPP's MESS is a single line, and pagers show no control codes. */
function normalise(s: string, ascii: boolean): string {
  let out = s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  if (ascii)
    out = out
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .replace(/[^\x20-\x7e]/g, '?');
  return out;
}
