/**
 * docs/errors.md is the error catalogue (lib/errors.ts) rendered, and every code in the catalogue
 * is raised somewhere in the source (a code nobody raises promises an error that never comes).
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCatalogue } from '../lib/errors.js';
import { grpcStatusName } from '../lib/grpc-status.js';
// @ts-expect-error: a plain .mjs script without types
import { renderErrorsDoc } from '../scripts/errors-doc.mjs';

/** Raised by work in flight in other branches (#13 full disk: store writes; #15 ingest shedding). */
const RESERVED = new Set(['FW_ERR_STORE_WRITE', 'FW_ERR_BRAIN_OVERLOADED']);

const source = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'gen' ? [] : source(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

t.test('docs/errors.md is generated from the catalogue (node scripts/errors-doc.mjs after a build)', async (t) => {
  const want = (renderErrorsDoc as (c: typeof errorCatalogue, n: typeof grpcStatusName) => string)(errorCatalogue, grpcStatusName);
  t.equal(readFileSync('docs/errors.md', 'utf8'), want, 'docs/errors.md is stale: run `npm run build && node scripts/errors-doc.mjs`');
});

t.test('every catalogue code is raised somewhere in the source', async (t) => {
  const text = ['agent', 'brain', 'cli', 'plant', 'proto', 'lib']
    .flatMap(source)
    .filter((f) => f !== join('lib', 'errors.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const unraised = Object.keys(errorCatalogue).filter((code) => !RESERVED.has(code) && !text.includes(`'${code}'`));
  t.same(unraised, [], `codes never raised (raise them or remove them from lib/errors.ts): ${unraised.join(', ')}`);
});
