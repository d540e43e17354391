/**
 * Finds literal text every match of an RE2 pattern must contain, so a line can be rejected with
 * Buffer.indexOf before any regex runs. Conservative: when unsure it returns null (no prefilter),
 * which is only slower, never wrong.
 *
 * Result: alternatives, at least one of which occurs in any matching line.
 */
type Atom = { kind: 'char'; text: string } | { kind: 'group'; alternatives: string[] | null; pure: string | null } | { kind: 'other' };

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', a: '\x07' };
const CLASS_ESCAPES = new Set('dDwWsSbBAzZpPCQE123456789');

export interface PatternLiterals {
  /** At least one of these occurs in every matching line; null = no usable literal. */
  literals: string[] | null;
  /** The pattern is exactly this fixed text: finding it is the match, no regex needed. */
  pure: string | null;
}

export function analysePattern(pattern: string): PatternLiterals {
  if (/\(\?[a-zA-Z]*i/.test(pattern)) return { literals: null, pure: null }; // case-folded text defeats byte search
  try {
    const parsed = parseAlternation(pattern, { i: 0 }, false);
    const pure = parsed.pure ? parsed.pure : null;
    return { literals: pure ? [pure] : parsed.alternatives, pure };
  } catch {
    return { literals: null, pure: null };
  }
}

interface Cursor {
  i: number;
}

interface Parsed {
  alternatives: string[] | null;
  /** The whole sub-pattern is one fixed string (no metacharacters). */
  pure: string | null;
}

function parseAlternation(p: string, c: Cursor, inGroup: boolean): Parsed {
  const branches: Parsed[] = [];
  for (;;) {
    branches.push(parseSequence(p, c));
    if (c.i < p.length && p[c.i] === '|') {
      c.i++;
      continue;
    }
    if (inGroup) {
      if (p[c.i] !== ')') throw new Error('unbalanced');
      c.i++;
    } else if (c.i < p.length) throw new Error('unbalanced');
    break;
  }
  if (branches.length === 1) return branches[0]!;
  const alternatives: string[] = [];
  for (const b of branches) {
    if (!b.alternatives) return { alternatives: null, pure: null };
    alternatives.push(...b.alternatives);
  }
  return { alternatives, pure: null };
}

function parseSequence(p: string, c: Cursor): Parsed {
  const candidates: string[][] = [];
  let run = '';
  let pure = true;
  const endRun = (): void => {
    if (run) candidates.push([run]);
    run = '';
  };
  while (c.i < p.length && p[c.i] !== '|' && p[c.i] !== ')') {
    const atom = parseAtom(p, c);
    const q = parseQuantifier(p, c);
    if (q !== 'one') pure = false;
    if (atom.kind === 'char') {
      if (q === 'optional') endRun();
      else {
        run += atom.text;
        if (q === 'repeat') endRun();
      }
      continue;
    }
    if (atom.kind === 'group' && atom.pure !== null && q === 'one') {
      run += atom.pure;
      continue;
    }
    pure = false;
    endRun();
    if (atom.kind === 'group' && atom.alternatives && q !== 'optional') candidates.push(atom.alternatives);
  }
  const whole = pure ? run : null;
  endRun();
  return { alternatives: best(candidates), pure: whole };
}

/** The candidate whose shortest alternative is longest: the most selective prefilter. */
function best(candidates: string[][]): string[] | null {
  let chosen: string[] | null = null;
  let score = 0;
  for (const alts of candidates) {
    const s = Math.min(...alts.map((a) => Buffer.byteLength(a)));
    if (s > score) {
      score = s;
      chosen = alts;
    }
  }
  return chosen;
}

function parseAtom(p: string, c: Cursor): Atom {
  const ch = p[c.i++]!;
  if (ch === '\\') return parseEscape(p, c);
  if (ch === '[') {
    skipClass(p, c);
    return { kind: 'other' };
  }
  if (ch === '(') return parseGroup(p, c);
  if ('.^$'.includes(ch)) return { kind: 'other' };
  if ('*+?'.includes(ch)) throw new Error('quantifier without atom');
  return { kind: 'char', text: ch };
}

function parseEscape(p: string, c: Cursor): Atom {
  const e = p[c.i++];
  if (e === undefined) throw new Error('trailing backslash');
  if (CLASS_ESCAPES.has(e)) return { kind: 'other' };
  const simple = SIMPLE_ESCAPES[e];
  if (simple) return { kind: 'char', text: simple };
  if (e === 'x') {
    if (p[c.i] === '{') {
      const close = p.indexOf('}', c.i);
      if (close < 0) throw new Error('bad \\x{}');
      const code = parseInt(p.slice(c.i + 1, close), 16);
      c.i = close + 1;
      return { kind: 'char', text: String.fromCodePoint(code) };
    }
    const code = parseInt(p.slice(c.i, c.i + 2), 16);
    c.i += 2;
    if (Number.isNaN(code)) throw new Error('bad \\x');
    return { kind: 'char', text: String.fromCharCode(code) };
  }
  if (/[A-Za-z0-9]/.test(e)) return { kind: 'other' };
  return { kind: 'char', text: e };
}

function skipClass(p: string, c: Cursor): void {
  if (p[c.i] === '^') c.i++;
  if (p[c.i] === ']') c.i++;
  while (c.i < p.length && p[c.i] !== ']') {
    if (p[c.i] === '\\') c.i++;
    else if (p[c.i] === '[' && p[c.i + 1] === ':') {
      const close = p.indexOf(':]', c.i + 2);
      if (close >= 0) c.i = close + 1;
    }
    c.i++;
  }
  if (p[c.i] !== ']') throw new Error('unterminated class');
  c.i++;
}

function parseGroup(p: string, c: Cursor): Atom {
  if (p[c.i] === '?') {
    const m = /^\?(?::|P?<[A-Za-z_][A-Za-z0-9_]*>)/.exec(p.slice(c.i));
    if (!m) throw new Error('flag group'); // (?s:...) etc.: give up rather than guess
    c.i += m[0].length;
  }
  const inner = parseAlternation(p, c, true);
  return { kind: 'group', alternatives: inner.alternatives, pure: inner.pure };
}

type Quantity = 'one' | 'optional' | 'repeat';

function parseQuantifier(p: string, c: Cursor): Quantity {
  const ch = p[c.i];
  let q: Quantity = 'one';
  if (ch === '*' || ch === '?') {
    q = 'optional';
    c.i++;
  } else if (ch === '+') {
    q = 'repeat';
    c.i++;
  } else if (ch === '{') {
    const m = /^\{(\d*)(,\d*)?\}/.exec(p.slice(c.i));
    if (!m) return 'one'; // RE2 treats a lone { as a literal
    c.i += m[0].length;
    const min = Number(m[1] || '0');
    q = min === 0 ? 'optional' : m[2] === undefined && min === 1 ? 'one' : 'repeat';
  }
  if (q !== 'one' || ch === '{') if (p[c.i] === '?' || p[c.i] === '+') c.i++;
  return q;
}
