// Renders docs/errors.md from the error catalogue (lib/errors.ts): `node scripts/errors-doc.mjs`
// after `npm run build` writes it; test/docs-errors.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const GROUPS = [
  ['FW_ERR_CONFIG_', 'Configuration'],
  ['FW_ERR_WIRE_', 'Agent streams (gRPC)'],
  ['FW_ERR_AUTH_', 'Authentication'],
  ['FW_ERR_BRAIN_', 'Brain'],
  ['FW_ERR_STORE_', 'Time-series store'],
  ['FW_ERR_STATE_', 'State disk'],
  ['FW_ERR_PAIR_', 'Brain pair'],
  ['FW_ERR_PAGING_', 'Paging'],
  ['FW_ERR_INCIDENT_', 'Incidents API'],
];

/** @param {Record<string, {grpc: number, text: string}>} catalogue @param {(code: number) => string} statusName */
export function renderErrorsDoc(catalogue, statusName) {
  const out = [
    '# Errors',
    '',
    '<!-- Generated from lib/errors.ts by scripts/errors-doc.mjs: edit the catalogue, not this file. -->',
    '',
    'Every error floorwatch raises on purpose has a stable code; match on the code, never on the',
    'message. A configuration error reads `file:line: field: problem`. Over gRPC the code travels',
    'in the status message with the status below; over HTTP the incidents API answers 404 (not',
    'found), 409 (resolved) or 400 (bad request) with `{"error", "code"}`.',
  ];
  for (const [prefix, title] of GROUPS) {
    const codes = Object.keys(catalogue).filter((c) => c.startsWith(prefix));
    if (codes.length === 0) continue;
    out.push('', `## ${title}`, '', '| code | gRPC status | meaning |', '|---|---|---|');
    for (const c of codes) out.push(`| \`${c}\` | ${statusName(catalogue[c].grpc)} | ${catalogue[c].text} |`);
  }
  const grouped = new Set(GROUPS.flatMap(([p]) => Object.keys(catalogue).filter((c) => c.startsWith(p))));
  const other = Object.keys(catalogue).filter((c) => !grouped.has(c));
  if (other.length > 0) throw new Error(`codes with no section in scripts/errors-doc.mjs: ${other.join(', ')}`);
  return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { errorCatalogue } = await import('../dist/lib/errors.js');
  const { grpcStatusName } = await import('../dist/lib/grpc-status.js');
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc(errorCatalogue, grpcStatusName));
}
