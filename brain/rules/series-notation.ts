/**
 * The input notation of rule unit tests, after promtool's: a series as
 * `measurement.field{label="v",...}` and values as `1+0x10` (11 samples: 1, then +0 ten
 * times), `10-2x3`, `7x3` (7 four times), `5`, `_` (no sample at that step) or `_x4`.
 */
export interface SeriesName {
  readonly measurement: string;
  readonly field: string;
  readonly labels: Record<string, string>;
}

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

export function parseSeriesName(text: string): SeriesName {
  const m = NAME.exec(text);
  if (!m) throw new Error(`not a series (expected measurement.field{label="v"}): ${JSON.stringify(text)}`);
  const labels: Record<string, string> = {};
  const body = m[3] ?? '';
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const start = LABEL.lastIndex;
    const l = LABEL.exec(body);
    if (!l) {
      if (body.slice(start).trim() === '') break;
      throw new Error(`bad label list in ${JSON.stringify(text)} at ${JSON.stringify(body.slice(start))}`);
    }
    labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
  }
  return { measurement: m[1]!, field: m[2]!, labels };
}

/** The values, one per step; undefined = no sample at that step. */
export function expandValues(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if (token === '_') out.push(undefined);
    else if ((m = /^_x([0-9]+)$/.exec(token))) for (let i = 0; i < Number(m[1]); i++) out.push(undefined);
    else if ((m = /^(-?[0-9.e]+)([+-])([0-9.e]+)x([0-9]+)$/.exec(token))) {
      const [a, b, n] = [Number(m[1]), Number(m[3]) * (m[2] === '-' ? -1 : 1), Number(m[4])];
      for (let i = 0; i <= n; i++) out.push(a + b * i);
    } else if ((m = /^(-?[0-9.e]+)x([0-9]+)$/.exec(token))) {
      for (let i = 0; i <= Number(m[2]); i++) out.push(Number(m[1]));
    } else if (/^-?[0-9.e]+$/.test(token) && !Number.isNaN(Number(token))) out.push(Number(token));
    else throw new Error(`bad value token ${JSON.stringify(token)} (expected 1, 1+0x10, 5-1x3, 7x3, _ or _x3)`);
  }
  return out;
}
