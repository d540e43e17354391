// The validators the build generates for the agent's config schemas (scripts/gen-validators.mjs,
// lib/config-file.ts usePrecompiled) must answer exactly as ajv compiling the schema at start:
// the same file:line:field and message for every bad file, the same defaults for a good one.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agentSchema, pushableSchema } from '../../agent/config.js';
import { parseConfigText, precompiledModule, usePrecompiled } from '../../lib/config-file.js';
import { ConfigError } from '../../lib/errors.js';
import { freshBuild } from '../helpers/floorwatch.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Inside the repository: the generated code requires ajv's runtime helpers from node_modules.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/fw-precompiled-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `schema` (a different object, same JSON) validated by generated code loaded from disk. */
function precompiledCopy(name: string, schema: object): object {
  const copy = structuredClone(schema);
  mkdirSync(join(dir, 'v'), { recursive: true });
  writeFileSync(join(dir, 'v', `${name}.cjs`), precompiledModule(copy));
  if (!usePrecompiled(copy, pathToFileURL(join(dir, 'x.js')).href, `./v/${name}.cjs`)) throw new Error(`${name}: not taken`);
  return copy;
}

function outcome(text: string, schema: object): string {
  try {
    return `ok ${JSON.stringify(parseConfigText(text, schema, 'agent.yaml'))}`;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return `error ${err.line} ${err.field} ${err.message}`;
  }
}

const AGENT_FILES = [
  '',
  'agent: {id: ws-1}\n',
  'agent:\n  id: "bad id"\n',
  'agent:\n  id: ws-1\n  labels: {desk: fx, "9bad": x}\n',
  'brain:\n  addresses: []\n',
  'brain:\n  addresses: ["nohost"]\n',
  'brain:\n  tls: {cert: a.pem}\n',
  'interval_ms: 10\n',
  'interval_ms: "1s"\n',
  'max_batch_samples: 100001\n',
  'queue:\n  max_bytes: 1\n  fsync_ms: 0\n',
  'typo: 1\n',
  'samplers:\n  memory:\n    interval_ms: -5\n',
  'samplers:\n  nic: {}\n  bogus: {}\n',
  'samplers:\n  log:\n    files: ["/tmp/app.log"]\n    startAt: beginning\n    rules:\n      - {name: ok, action: count, pattern: "x"}\n',
  'samplers:\n  log:\n    files: ["/tmp/app.log"]\n    rules:\n      - {name: ok, action: nope, pattern: "x"}\n',
  'samplers:\n  log:\n    files: []\n    rules:\n      - {action: count}\n',
  'samplers:\n  process:\n    watch: [{name: fh}]\n',
];

t.test('generated validators answer as the compiled schema: errors, lines, fields, defaults', async (t) => {
  for (const [name, compiled] of [
    ['agent', agentSchema()],
    ['pushable', pushableSchema()],
  ] as const) {
    const generated = precompiledCopy(name, compiled);
    t.not(generated, compiled, `${name}: two schema objects, so one is compiled and one generated`);
    for (const text of AGENT_FILES) {
      const want = outcome(text, compiled);
      t.equal(outcome(text, generated), want, `${name} ${JSON.stringify(text)} → ${want.slice(0, 120)}`);
    }
  }
});

t.test('a generated validator whose schema changed since the build is not used', async (t) => {
  const schema = structuredClone(agentSchema()) as { properties: Record<string, unknown> };
  writeFileSync(join(dir, 'stale.cjs'), precompiledModule(schema));
  schema.properties['extra'] = { type: 'string' };
  t.equal(usePrecompiled(schema, pathToFileURL(join(dir, 'x.js')).href, './stale.cjs'), false, 'digest differs: compiled instead');
  t.equal(usePrecompiled(schema, pathToFileURL(join(dir, 'x.js')).href, './missing.cjs'), false, 'no file: compiled instead');
  t.match(
    outcome('extra: 1\n', schema),
    /^error 1 extra .*agent\.yaml:1: extra: must be string/,
    'and the changed schema is the one in force',
  );
});

const built = freshBuild() ? false : 'dist/ is not fresh (npm run build first)';
t.test('the built agent loads its config without loading ajv', { skip: built }, async (t) => {
  writeFileSync(join(dir, 'agent.yaml'), 'agent: {id: ws-1, state_dir: /tmp/x}\nsamplers:\n  memory: {}\n');
  const script = `
    const { loadAgentConfig, parsePushedConfig } = await import(${JSON.stringify(join(ROOT, 'dist/agent/config.js'))});
    const c = loadAgentConfig(${JSON.stringify(join(dir, 'agent.yaml'))});
    parsePushedConfig('interval_ms: 500\\n', 1);
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/node_modules/ajv/'));
    console.log(JSON.stringify({ interval: c.interval_ms, loaded }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { interval: number; loaded: string[] };
  t.equal(out.interval, 1000, 'defaults filled in');
  t.same(
    out.loaded.map((f) => f.slice(f.indexOf('/node_modules/'))),
    ['/node_modules/ajv/dist/runtime/ucs2length.js'],
    'only the runtime helper the generated code needs',
  );
});
