/**
 * Label sets and label matchers (`=`, `!=`, `=~`, `!~`), the one selection language of rules,
 * silences and maintenance windows. Regexes run on RE2 (linear time): a silence typed at 3 a.m.
 * cannot hang the brain.
 */
import RE2 from 're2';

export type Labels = Readonly<Record<string, string>>;

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** True when the label's value (absent = '') satisfies the matcher. */
  matches(labels: Labels): boolean;
}

/** `name op "value"`, as in PromQL selectors and Alertmanager silences. */
const MATCHER_SYNTAX = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** Parses one matcher; throws an Error whose message says what is wrong (callers locate it). */
export function parseMatcher(text: string): LabelMatcher {
  const m = MATCHER_SYNTAX.exec(text);
  if (!m) throw new Error(`not a label matcher (expected name="v", name!="v", name=~"re" or name!~"re"): ${JSON.stringify(text)}`);
  const value = m[3]!.replace(/\\(.)/g, '$1');
  return labelMatcher(m[1]!, m[2] as MatchOp, value);
}

export function labelMatcher(name: string, op: MatchOp, value: string): LabelMatcher {
  if (op === '=' || op === '!=') {
    const want = op === '=';
    return { name, op, value, matches: (l) => ((l[name] ?? '') === value) === want };
  }
  let re: RE2;
  try {
    // Anchored like PromQL: `host=~"tp-.*"` must match the whole value.
    re = new RE2(`^(?:${value})$`);
  } catch (err) {
    throw new Error(`RE2 refuses /${value}/: ${(err as Error).message}`);
  }
  const want = op === '=~';
  return { name, op, value, matches: (l) => re.test(l[name] ?? '') === want };
}

export function matchesAll(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  for (const m of matchers) if (!m.matches(labels)) return false;
  return true;
}

/** A stable identity for a label set: sorted `k=v` pairs. */
export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

const keys = new WeakMap<Labels, string>();

/** `labelsKey` of a label set that is never changed once built (a series' tags): worked out once. */
export function cachedLabelsKey(labels: Labels): string {
  let key = keys.get(labels);
  if (key === undefined) keys.set(labels, (key = labelsKey(labels)));
  return key;
}

/** Only the named labels (all of them when `names` is undefined). */
export function pickLabels(labels: Labels, names: readonly string[] | undefined): Record<string, string> {
  if (!names) return { ...labels };
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined && v !== '') out[n] = v;
  }
  return out;
}

export function formatLabels(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(', ')}}`;
}
