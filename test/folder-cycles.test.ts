/**
 * Folders show the architecture (agent → transport → ingest → state → rules → correlation →
 * incidents → notifier → channels): no folder may import, directly or through others, a folder
 * that imports it back. A folder and its own subfolders are one unit here (a registry importing
 * its plugins, the plugins importing the contract beside the registry), so edges between a folder
 * and its ancestors are not counted; every other cycle fails with the import lines that make it.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOTS = ['agent', 'brain', 'lib', 'cli', 'plant', 'proto'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'gen' ? [] : sourceFiles(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const nested = (a: string, b: string) => a === b || b.startsWith(a + '/') || a.startsWith(b + '/');

/** folder → imported folder → the import lines that make the edge. */
function folderGraph(roots: readonly string[]): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of roots.flatMap(sourceFiles)) {
    const from = dirname(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const to = dirname(normalize(join(from, spec)));
      if (nested(from, to)) continue;
      const out = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, out);
      out.set(to, [...(out.get(to) ?? []), `${file} imports ${spec}`]);
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder (Tarjan). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

t.test('no folder of agent/ brain/ lib/ cli/ plant/ proto/ is part of an import cycle', async (t) => {
  const graph = folderGraph(ROOTS);
  t.ok(graph.get('brain/notify')?.has('brain/channels'), 'the graph sees imports (notify → channels)');
  const found = cycles(graph);
  const explain = found.map((scc) =>
    scc.flatMap((a) => scc.filter((b) => graph.get(a)?.has(b)).map((b) => `${a} → ${b}: ${graph.get(a)!.get(b)![0]}`)).join('\n'),
  );
  t.same(explain, [], `folder cycles:\n${explain.join('\n\n')}`);
});

t.test('the cycle finder finds a cycle through three folders and ignores a folder importing its parent', async (t) => {
  const g = (edges: [string, string][]) => {
    const m = new Map<string, Map<string, string[]>>();
    for (const [a, b] of edges) m.set(a, new Map([...(m.get(a) ?? []), [b, [`${a}→${b}`]]]));
    return m;
  };
  t.same(
    cycles(
      g([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['c', 'd'],
      ]),
    ),
    [['a', 'b', 'c']],
  );
  t.same(
    cycles(
      g([
        ['a', 'b'],
        ['b', 'c'],
      ]),
    ),
    [],
  );
});
