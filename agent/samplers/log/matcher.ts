/**
 * One user pattern, compiled for RE2 (linear time: no user pattern can hang the agent), plus
 * the literal prefilter that lets most lines be rejected by Buffer.indexOf, plus — when the
 * pattern is provably unambiguous (linear.ts) — a V8 RegExp that reads the captures of a match
 * RE2 has already found, at a tenth of the cost of node-re2's exec.
 */
import { isAscii } from 'node:buffer';
import RE2 from 're2';
import { LogRuleError } from './config.js';
import { planLinear, type LinearVerdict } from './linear.js';
import { analysePattern } from './literal.js';
import type { LineBatch } from './lines.js';

/** A capture: a Buffer from RE2, or a string from the fast path (only ever from a 7-bit line). */
export type Capture = Buffer | string;
export type Groups = Record<string, Capture | undefined>;

/** A capture's text; a fast-path string is ASCII, so it reads the same in any encoding. */
export function captureText(v: Capture, encoding: 'utf8' | 'latin1'): string {
  return typeof v === 'string' ? v : v.toString(encoding);
}

export class Matcher {
  readonly re: RE2;
  /** Any one of these must occur in a matching line; null = every line is a candidate. */
  readonly literals: Buffer[] | null;
  /** Finding the literal is the match (pattern is fixed text, case-sensitive). */
  readonly literalIsMatch: boolean;
  readonly captureNames: string[];
  /** The same pattern with names dropped: node-re2 builds a `groups` object per exec, at twice the cost. */
  readonly #unnamed: RE2;
  readonly #groupNames: (string | undefined)[];
  /** Why the fast path is (not) taken; `plan.re` is the sticky V8 translation. */
  readonly linear: LinearVerdict;
  readonly #fast: RegExp | null;
  #marks = new Uint8Array(0);
  /** What captures() returns: every named group is assigned on each match (undefined when it did not take part), so no stale value survives a call. */
  readonly #groups: Groups = {};

  constructor(re: RE2, literals: Buffer[] | null, literalIsMatch: boolean) {
    this.re = re;
    this.literals = literals;
    this.literalIsMatch = literalIsMatch;
    const { unnamed, names } = dropGroupNames(re.source);
    this.captureNames = names.filter((n): n is string => n !== undefined);
    this.#groupNames = names;
    this.#unnamed = new RE2(unnamed, re.flags.replace(/[gyd]/g, ''));
    this.linear = re.flags.includes('i') ? { ok: false, reason: 'case folding' } : planLinear(re.source, names);
    this.#fast = this.linear.ok && this.captureNames.length > 0 ? this.linear.plan.re : null;
  }

  /**
   * The named captures of the first match in `line`, or null when it does not match. `ascii`:
   * the caller knows the line is 7-bit (checked per batch), else it is checked here.
   *
   * The returned object is this matcher's own, overwritten by the next call: a fresh object per
   * matching line was a third of the capture path's allocation at 10^5-10^6 lines/s (issue #12).
   * Every caller reads it before its next call and keeps only the values, never the object.
   */
  captures(line: Buffer, ascii = false): Groups | null {
    const fast = this.#fast;
    if (fast !== null && (ascii || isAscii(line))) {
      // RE2 decides whether and where (linear); V8 only reads the captures of that match,
      // anchored there, on a pattern that cannot backtrack (linear.ts). Same answer as RE2.
      const at = this.re.search(line);
      if (at < 0) return null;
      fast.lastIndex = at;
      const m = fast.exec(line.toString('latin1'));
      if (m) {
        const out = this.#groups;
        const names = this.#groupNames;
        for (let i = 0; i < names.length; i++) {
          const n = names[i];
          if (n !== undefined) out[n] = m[i + 1];
        }
        return out;
      }
      // Unreachable if the translation is right; RE2 stays the authority.
    }
    const r = this.#unnamed.exec(line);
    if (!r) return null;
    const out = this.#groups;
    const names = this.#groupNames;
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (n !== undefined) out[n] = (r as unknown as (Buffer | undefined)[])[i + 1];
    }
    return out;
  }

  /** Marks the lines of the batch that may match; the returned array is reused per call. */
  candidates(batch: LineBatch): Uint8Array {
    if (this.#marks.length < batch.count) this.#marks = new Uint8Array(Math.max(batch.count, 1024));
    const marks = this.#marks;
    if (!this.literals) {
      marks.fill(1, 0, batch.count);
      return marks;
    }
    marks.fill(0, 0, batch.count);
    if (batch.count === 0) return marks;
    for (const lit of this.literals) markLiteral(batch, lit, marks);
    return marks;
  }
}

function markLiteral(batch: LineBatch, lit: Buffer, marks: Uint8Array): void {
  const { buf, starts, ends, count } = batch;
  const base = starts[0]!;
  // One view over the whole batch: indexOf then skips non-matching lines at memchr speed.
  const region = buf.subarray(base, ends[count - 1]!);
  let li = 0;
  let pos = region.indexOf(lit, 0);
  while (pos >= 0) {
    const at = base + pos;
    while (li < count && ends[li]! < at + lit.length) li++;
    if (li >= count) return;
    if (at >= starts[li]!) {
      marks[li] = 1;
      pos = region.indexOf(lit, ends[li]! - base);
    } else {
      pos = region.indexOf(lit, starts[li]! - base);
    }
  }
}

/** The pattern with `(?P<n>` / `(?<n>` turned into `(`, and each capturing group's name (or undefined), in order. */
function dropGroupNames(source: string): { unnamed: string; names: (string | undefined)[] } {
  const names: (string | undefined)[] = [];
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      out += source.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += source[++i];
      continue;
    }
    if (ch === '(') {
      const m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i, i + 80));
      if (m) {
        names.push(m[1]);
        out += '(';
        i += m[0].length - 1;
        continue;
      }
      if (source[i + 1] !== '?') names.push(undefined);
    }
    out += ch;
  }
  return { unnamed: out, names };
}
/** Compiles a user pattern; a refusal is a config error naming the rule and the field. */
export function compileMatcher(rule: string, field: string, pattern: string, ignoreCase: boolean, literal?: string): Matcher {
  let re: RE2;
  try {
    re = new RE2(pattern, ignoreCase ? 'i' : '');
  } catch (err) {
    throw new LogRuleError(
      rule,
      field,
      `RE2 refuses /${pattern}/: ${(err as Error).message} (RE2 has no backreferences or lookaround: they cannot run in linear time)`,
    );
  }
  if (literal !== undefined) {
    return new Matcher(re, literal === '' || ignoreCase ? null : [Buffer.from(literal)], false);
  }
  const found = ignoreCase ? { literals: null, pure: null } : analysePattern(pattern);
  const lits = found.literals?.filter((l) => l.length > 0).map((l) => Buffer.from(l)) ?? null;
  return new Matcher(re, lits && lits.length > 0 ? lits : null, found.pure !== null);
}
