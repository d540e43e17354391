/**
 * The capture fast path: which user patterns V8's RegExp may run, and the RegExp it runs.
 *
 * node-re2's `exec` costs 2–4 µs per call (it copies every capture into a new Buffer and builds
 * a result object), against ~0.1 µs for V8's RegExp. V8 backtracks, so a user pattern may only
 * reach it when it provably cannot backtrack catastrophically. The test here is *determinism*
 * (one-unambiguity, Brüggemann-Klein & Wood): in the pattern's Glushkov automaton, the
 * positions that can follow any one position (and the positions that can start a match) have
 * pairwise disjoint character sets. Then, for any input, at most one path through the pattern
 * is alive after each character:
 *
 * - every choice a backtracking matcher makes (an alternative, another loop iteration, leaving
 *   a loop, an optional part) either consumes the next character with a position no other
 *   branch could use, or consumes nothing and is decided at once by that same character;
 * - so a failed branch dies on the first character it tests, without consuming input, and
 *   the matcher visits each input character once along the single live path plus at most
 *   m = (pattern positions) failed tests per character: O(n·m) for an anchored attempt.
 *
 * Only anchored attempts are run: RE2 (`search`, linear) first finds where the leftmost match
 * starts, or that there is none; V8 then runs once, sticky, at that index, only to read the
 * captures. Loops whose body can match the empty string are refused (V8's empty-iteration
 * check would be the only thing stopping them).
 *
 * Same answer as RE2, not only same speed class: both engines are leftmost-first (Perl)
 * matchers, so from the same start they pick the same path, and the pattern is translated
 * into a JS source with identical meaning for 7-bit lines: `.` becomes `[^\n]` (JS's `.` also
 * excludes `\r`), `\s` becomes RE2's `[\t\n\f\r ]` (JS's includes `\v`), every set is written
 * out as byte ranges. The fast path runs only on lines that are all ASCII (`buffer.isAscii`):
 * RE2 reads bytes as UTF-8, V8 would read them as latin1, and they agree only on ASCII. Captures
 * inside a repeated group are refused (JS resets them each iteration, RE2 keeps the last), as
 * are flags, case folding, Unicode classes, `\pL`, `[[:alpha:]]`, `\Q…\E`, `\A`, `\z` and
 * non-ASCII pattern text. Anything refused stays on RE2's exec: slower, never wrong.
 */

type Bits = Uint32Array<ArrayBuffer>; // 128 bits: one per 7-bit byte

type Node =
  | { k: 'set'; bits: Bits }
  | { k: 'assert'; src: string }
  | { k: 'cat'; items: Node[] }
  | { k: 'alt'; alts: Node[] }
  | { k: 'group'; capture: boolean; body: Node }
  | { k: 'rep'; body: Node; min: number; max: number; lazy: boolean };

export interface LinearPlan {
  /** The JS translation, sticky: run at the index RE2 reported. */
  re: RegExp;
  /** Glushkov positions (the m in O(n·m)). */
  positions: number;
}

export type LinearVerdict = { ok: true; plan: LinearPlan } | { ok: false; reason: string };

const MAX_POSITIONS = 1000;

class Refuse extends Error {}

function bitsOf(...codes: number[]): Bits {
  const b = new Uint32Array(4);
  for (const c of codes) b[c >>> 5]! |= 1 << (c & 31);
  return b;
}
function range(lo: number, hi: number, into: Bits = new Uint32Array(4)): Bits {
  for (let c = lo; c <= hi; c++) into[c >>> 5]! |= 1 << (c & 31);
  return into;
}
function or(a: Bits, b: Bits): void {
  for (let i = 0; i < 4; i++) a[i]! |= b[i]!;
}
function not(a: Bits): Bits {
  const b = new Uint32Array(4);
  for (let i = 0; i < 4; i++) b[i] = ~a[i]!;
  return b;
}
function has(a: Bits, c: number): boolean {
  return (a[c >>> 5]! & (1 << (c & 31))) !== 0;
}
function overlaps(a: Bits, b: Bits): boolean {
  for (let i = 0; i < 4; i++) if ((a[i]! & b[i]!) !== 0) return true;
  return false;
}

const DIGIT = range(48, 57);
const WORD = range(48, 57);
range(65, 90, WORD);
range(97, 122, WORD);
or(WORD, bitsOf(95));
const SPACE = bitsOf(9, 10, 12, 13, 32); // RE2's \s: no \v
const ANY_BUT_NL = not(bitsOf(10));
const SIMPLE: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7 };

/** RE2 syntax → AST, for the subset above; throws Refuse for anything else. */
class Parser {
  i = 0;
  captures: (string | undefined)[] = [];
  constructor(readonly p: string) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.p.length) throw new Refuse(`unexpected ${this.p[this.i]}`);
    return n;
  }
  alt(): Node {
    const alts = [this.seq()];
    while (this.p[this.i] === '|') {
      this.i++;
      alts.push(this.seq());
    }
    return alts.length === 1 ? alts[0]! : { k: 'alt', alts };
  }
  seq(): Node {
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') items.push(this.quantified(this.atom()));
    return { k: 'cat', items };
  }
  quantified(atom: Node): Node {
    const ch = this.p[this.i];
    let min: number;
    let max: number;
    if (ch === '*' || ch === '+' || ch === '?') {
      this.i++;
      [min, max] = ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1];
    } else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i, this.i + 16));
      if (!m) throw new Refuse('"{" that is not a repetition');
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > max || min > 1000 || (max !== Infinity && max > 1000)) throw new Refuse('repetition count');
    } else return atom;
    if (atom.k === 'assert') throw new Refuse('repeated assertion');
    let lazy = false;
    if (this.p[this.i] === '?') {
      lazy = true;
      this.i++;
    }
    if ('*+?{'.includes(this.p[this.i] ?? 'x')) throw new Refuse('stacked repetition');
    return { k: 'rep', body: atom, min, max, lazy };
  }
  atom(): Node {
    const ch = this.p[this.i++]!;
    if (ch === '(') return this.group();
    if (ch === '[') return { k: 'set', bits: this.cls() };
    if (ch === '.') return { k: 'set', bits: ANY_BUT_NL };
    if (ch === '^' || ch === '$') return { k: 'assert', src: ch };
    if (ch === '\\') return this.escape(false) as Node;
    if ('*+?{'.includes(ch)) throw new Refuse(`"${ch}" without an atom`);
    return { k: 'set', bits: bitsOf(this.ascii(ch)) };
  }
  ascii(ch: string): number {
    const c = ch.charCodeAt(0);
    if (c >= 128) throw new Refuse('non-ASCII pattern text');
    return c;
  }
  group(): Node {
    let capture = true;
    let name: string | undefined;
    if (this.p[this.i] === '?') {
      const m = /^\?(?::|P?<([A-Za-z_][A-Za-z0-9_]*)>)/.exec(this.p.slice(this.i, this.i + 80));
      if (!m) throw new Refuse('flags or a group kind V8 and RE2 read differently');
      this.i += m[0].length;
      capture = m[1] !== undefined;
      name = m[1];
    }
    if (capture) this.captures.push(name);
    const body = this.alt();
    if (this.p[this.i++] !== ')') throw new Refuse('unbalanced');
    return { k: 'group', capture, body };
  }
  /** An escape after "\\"; in a class, assertions are refused and a set or a code is returned. */
  escape(inClass: boolean): Node | number {
    const e = this.p[this.i++];
    if (e === undefined) throw new Refuse('trailing backslash');
    const cls = { d: DIGIT, w: WORD, s: SPACE } as Record<string, Bits>;
    const lower = cls[e];
    if (lower) return { k: 'set', bits: lower };
    const upper = cls[e.toLowerCase()];
    if (upper && e !== e.toLowerCase()) return { k: 'set', bits: not(upper) };
    if (!inClass && (e === 'b' || e === 'B')) return { k: 'assert', src: `\\${e}` };
    const simple = SIMPLE[e];
    if (simple !== undefined) return inClass ? simple : { k: 'set', bits: bitsOf(simple) };
    if (e === 'x') {
      const m = /^[0-9A-Fa-f]{2}/.exec(this.p.slice(this.i, this.i + 2));
      if (!m) throw new Refuse('\\x form');
      this.i += 2;
      const c = parseInt(m[0], 16);
      if (c >= 128) throw new Refuse('non-ASCII escape');
      return inClass ? c : { k: 'set', bits: bitsOf(c) };
    }
    if (/[A-Za-z0-9]/.test(e)) throw new Refuse(`escape \\${e}`);
    const c = this.ascii(e);
    return inClass ? c : { k: 'set', bits: bitsOf(c) };
  }
  cls(): Bits {
    const bits = new Uint32Array(4);
    let negate = false;
    if (this.p[this.i] === '^') {
      negate = true;
      this.i++;
    }
    let first = true;
    for (;;) {
      const ch = this.p[this.i];
      if (ch === undefined) throw new Refuse('unterminated class');
      if (ch === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      if (ch === '[' && this.p[this.i + 1] === ':') throw new Refuse('POSIX class');
      const lo = this.classChar();
      if (typeof lo !== 'number') {
        or(bits, lo);
        continue;
      }
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== ']' && this.p[this.i + 1] !== undefined) {
        this.i++;
        const hi = this.classChar();
        if (typeof hi !== 'number' || hi < lo) throw new Refuse('class range');
        range(lo, hi, bits);
      } else or(bits, bitsOf(lo));
    }
    return negate ? not(bits) : bits;
  }
  classChar(): number | Bits {
    const ch = this.p[this.i++]!;
    if (ch !== '\\') return this.ascii(ch);
    const e = this.escape(true);
    if (typeof e === 'number') return e;
    if (e.k !== 'set') throw new Refuse('assertion in class');
    return e.bits;
  }
}

interface Glu {
  nullable: boolean;
  first: number[];
  last: number[];
}

/** Glushkov construction over the AST; fills `sets` (one per position) and `follow`. */
class Glushkov {
  sets: Bits[] = [];
  /** Kept as lists, not sets: the same edge made twice (by an inner and an outer loop) is two parses. */
  follow: number[][] = [];

  build(n: Node, underRep: boolean): Glu {
    switch (n.k) {
      case 'set': {
        if (this.sets.length >= MAX_POSITIONS) throw new Refuse('pattern too large to analyse');
        const p = this.sets.length;
        this.sets.push(n.bits);
        this.follow.push([]);
        return { nullable: false, first: [p], last: [p] };
      }
      case 'assert':
        return { nullable: true, first: [], last: [] };
      case 'group':
        if (n.capture && underRep) throw new Refuse('capture inside a repetition (JS resets it per iteration, RE2 keeps the last)');
        return this.build(n.body, underRep);
      case 'alt': {
        const parts = n.alts.map((a) => this.build(a, underRep));
        return { nullable: parts.some((x) => x.nullable), first: parts.flatMap((x) => x.first), last: parts.flatMap((x) => x.last) };
      }
      case 'cat': {
        let acc: Glu = { nullable: true, first: [], last: [] };
        for (const item of n.items) acc = this.concat(acc, this.build(item, underRep));
        return acc;
      }
      case 'rep': {
        const { min, max } = n;
        let acc: Glu = { nullable: true, first: [], last: [] };
        const copies = max === Infinity ? Math.max(min - 1, 0) : min;
        for (let c = 0; c < copies; c++) acc = this.concat(acc, this.body(n.body));
        if (max === Infinity) {
          const loop = this.body(n.body);
          for (const l of loop.last) for (const f of loop.first) this.follow[l]!.push(f);
          return this.concat(acc, min === 0 ? { ...loop, nullable: true } : loop);
        }
        // (max - min) nested optional copies: x(x(x)?)?)?
        const optional: Glu[] = [];
        for (let c = min; c < max; c++) optional.push(this.body(n.body));
        let tail: Glu = { nullable: true, first: [], last: [] };
        for (let c = optional.length - 1; c >= 0; c--) {
          const x = optional[c]!;
          const joined = this.concat(x, tail);
          tail = { nullable: true, first: joined.first, last: joined.last };
        }
        return this.concat(acc, tail);
      }
    }
  }
  body(n: Node): Glu {
    const g = this.build(n, true);
    if (g.nullable) throw new Refuse('repeated part can match the empty string');
    return g;
  }
  concat(a: Glu, b: Glu): Glu {
    for (const l of a.last) for (const f of b.first) this.follow[l]!.push(f);
    return {
      nullable: a.nullable && b.nullable,
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
    };
  }
  /** Two positions that could both take the next character from the same place, or null. */
  ambiguity(first: number[]): string | null {
    // A position listed twice is a clash with itself: two parses reach it (e.g. (?:a+)+).
    const clash = (list: number[]): boolean => {
      for (let i = 0; i < list.length; i++)
        for (let j = i + 1; j < list.length; j++) if (overlaps(this.sets[list[i]!]!, this.sets[list[j]!]!)) return true;
      return false;
    };
    if (clash(first)) return 'two ways to start a match on the same character';
    for (let p = 0; p < this.follow.length; p++)
      if (clash(this.follow[p]!)) return 'two ways to continue on the same character (ambiguous: may backtrack)';
    return null;
  }
}

function hex(c: number): string {
  if (/[A-Za-z0-9_]/.test(String.fromCharCode(c))) return String.fromCharCode(c);
  return `\\x${c.toString(16).padStart(2, '0')}`;
}

function setSource(bits: Bits): string {
  const parts: string[] = [];
  let count = 0;
  for (let c = 0; c < 128; c++) {
    if (!has(bits, c)) continue;
    let hi = c;
    while (hi + 1 < 128 && has(bits, hi + 1)) hi++;
    parts.push(hi === c ? hex(c) : `${hex(c)}-${hex(hi)}`);
    count += hi - c + 1;
    c = hi;
  }
  if (count === 1 && parts.length === 1) return parts[0]!;
  return `[${parts.join('')}]`;
}

function source(n: Node): string {
  switch (n.k) {
    case 'set':
      return setSource(n.bits);
    case 'assert':
      return n.src;
    case 'cat':
      return n.items.map(source).join('');
    case 'alt':
      return `(?:${n.alts.map(source).join('|')})`;
    case 'group':
      return n.capture ? `(${source(n.body)})` : `(?:${source(n.body)})`;
    case 'rep': {
      const q =
        n.min === 0 && n.max === Infinity
          ? '*'
          : n.min === 1 && n.max === Infinity
            ? '+'
            : n.min === 0 && n.max === 1
              ? '?'
              : n.max === Infinity
                ? `{${n.min},}`
                : n.min === n.max
                  ? `{${n.min}}`
                  : `{${n.min},${n.max}}`;
      const body = n.body.k === 'set' ? source(n.body) : `(?:${source(n.body)})`;
      return `${body}${q}${n.lazy ? '?' : ''}`;
    }
  }
}

/**
 * Decides whether `pattern` (RE2 syntax, case-sensitive) may take the V8 fast path, and builds
 * it. `captureNames` is each capturing group's name (or undefined) in order, as RE2 numbers them.
 */
export function planLinear(pattern: string, captureNames: readonly (string | undefined)[]): LinearVerdict {
  try {
    const parser = new Parser(pattern);
    const ast = parser.parse();
    if (parser.captures.length !== captureNames.length || parser.captures.some((n, i) => n !== captureNames[i])) {
      return { ok: false, reason: 'capture groups read differently' };
    }
    const g = new Glushkov();
    const root = g.build(ast, false);
    const why = g.ambiguity(root.first);
    if (why) return { ok: false, reason: why };
    return { ok: true, plan: { re: new RegExp(source(ast), 'y'), positions: g.sets.length } };
  } catch (err) {
    if (err instanceof Refuse) return { ok: false, reason: err.message };
    return { ok: false, reason: `not understood: ${(err as Error).message}` };
  }
}
