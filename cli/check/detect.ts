/**
 * Which kind of file is this? By its top-level keys first (each kind's schema says which it may
 * and must have); where kinds overlap (agent and brain both have `brain:`), by the file's name,
 * then by which kind accepts it. A file no kind fits is checked as the closest kind, so its
 * unknown key is reported with its line rather than as "unknown kind".
 */
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import { checkText, KINDS, type Kind } from './kinds.js';

export type Detected = { kind: Kind } | { ambiguous: string[] };

export function detectKind(file: string, text: string): Detected {
  const doc = parseDocument(text);
  // Broken YAML is the same error whatever the kind: check it as any, to report the line.
  if (doc.errors.length > 0) return { kind: KINDS.find((k) => k.nameHint.test(basename(file))) ?? KINDS[0]! };
  const value: unknown = doc.toJS();
  const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  const fits = KINDS.filter((k) => keys.every((key) => k.keys.includes(key)) && k.required.every((r) => keys.includes(r)));
  if (fits.length === 1) return { kind: fits[0]! };
  if (fits.length === 0) return { kind: closest(keys) };
  const named = fits.filter((k) => k.nameHint.test(basename(file)));
  if (named.length === 1) return { kind: named[0]! };
  const accepting = (named.length > 0 ? named : fits).filter((k) => checkText(k, file, text).problems.length === 0);
  if (accepting.length === 1) return { kind: accepting[0]! };
  return { ambiguous: (accepting.length > 0 ? accepting : fits).map((k) => k.name) };
}

/** The kind sharing the most top-level keys (ties: the first listed). */
function closest(keys: string[]): Kind {
  let best = KINDS[0]!;
  let bestShared = -1;
  for (const k of KINDS) {
    const shared = keys.filter((key) => k.keys.includes(key)).length;
    if (shared > bestShared) [best, bestShared] = [k, shared];
  }
  return best;
}
