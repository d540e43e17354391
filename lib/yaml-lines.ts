/**
 * The line of a path in a YAML text, for errors found after schema validation (a regex RE2
 * refuses, a clear level on the wrong side): they must name file:line:field as well.
 */
import { LineCounter, isNode, parseDocument } from 'yaml';

export type YamlPath = readonly (string | number)[];

/** The line of the deepest node on `path` that exists; a missing key points at its parent. */
export function lineOfPath(text: string, path: YamlPath): number {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}
