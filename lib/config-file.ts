/**
 * Loads a YAML file and validates it against a JSON schema, locating every problem as
 * file:line:field. Defaults from the schema are filled in, so callers get a complete object.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ConfigError, FloorwatchError } from './errors.js';

/** How every config schema is compiled; scripts/gen-validators.mjs generates code with the same. */
export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: false };

const require = createRequire(import.meta.url);
let ajv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** ajv is loaded on the first schema compiled here, not by importing this module. */
function compile(schema: object): ValidateFunction {
  ajv ??= new (require('ajv') as typeof import('ajv')).Ajv(AJV_OPTIONS);
  return ajv.compile(schema);
}

/** What a precompiled validator was generated from: its schema's JSON, hashed. */
export function schemaDigest(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/**
 * The CommonJS module scripts/gen-validators.mjs writes for `schema` at build time: ajv's
 * standalone code compiled with AJV_OPTIONS (the code `compile` would build at run time, so the
 * same errors, messages and defaults), exporting `validate` and the schema's `digest`.
 */
export function precompiledModule(schema: object): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standalone = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
  const gen = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const code = standalone(gen, gen.compile(schema));
  return `${code}\nmodule.exports.validate = module.exports;\nmodule.exports.digest = ${JSON.stringify(schemaDigest(schema))};\n`;
}

/**
 * The validator `npm run build` generated for a schema (scripts/gen-validators.mjs: ajv's
 * standalone code, same options, so the same errors and defaults), used for `schema` from then
 * on: no ajv loaded and no schema compiled at start. `file` is a CommonJS module exporting
 * `{digest, validate}`, resolved from `from` (import.meta.url). Taken only when its digest is
 * `schema`'s: a missing file (tests run from source) or a stale one (a schema changed since the
 * build) leaves the schema to be compiled as before. Returns whether it was taken.
 */
export function usePrecompiled(schema: object, from: string, file: string): boolean {
  let mod: { digest?: string; validate?: ValidateFunction };
  try {
    mod = createRequire(from)(file) as typeof mod;
  } catch {
    return false;
  }
  if (typeof mod.validate !== 'function' || mod.digest !== schemaDigest(schema)) return false;
  compiled.set(schema, mod.validate);
  return true;
}

/**
 * A problem JSON schema cannot express (a regex RE2 refuses, a reference to nothing), found by
 * a loader's own check after validation; `path` locates it in the file like a schema error.
 */
export interface ConfigProblem {
  path: (string | number)[];
  problem: string;
}
export type ConfigCheck<T> = (value: T) => ConfigProblem | undefined;

export function loadConfigFile<T>(file: string, schema: object, check?: ConfigCheck<T>): T {
  return parseConfigText<T>(readConfigText(file), schema, file, check);
}

/** The file's text, or a config error naming the file (for loaders with cross-field checks). */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
}

/** Parses and validates YAML text; `file` names the source in errors (e.g. "pushed config v3"). */
export function parseConfigText<T>(text: string, schema: object, file: string, check?: ConfigCheck<T>): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(file, line, '', first.message.split('\n')[0] ?? 'YAML syntax error');
  }
  const value: unknown = doc.toJS() ?? {};
  let validate = compiled.get(schema);
  if (!validate) {
    validate = compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(value)) {
    const err = validate.errors?.[0];
    if (err) throw locate(err, doc, lineCounter, file);
  }
  const found = check?.(value as T);
  if (found) {
    const path = found.path.map(String);
    throw new ConfigError(file, lineOf(doc, path, lineCounter), path.join('.'), found.problem);
  }
  return value as T;
}

function locate(err: ErrorObject, doc: Document, lines: LineCounter, file: string): ConfigError {
  const path = err.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = path.join('.');
  let problem = err.message ?? 'invalid';
  if (err.keyword === 'additionalProperties') {
    const extra = String((err.params as { additionalProperty: string }).additionalProperty);
    path.push(extra);
    field = path.join('.');
    problem = 'unknown field';
  } else if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty: string }).missingProperty);
    field = [...path, missing].join('.');
    problem = 'is required';
  } else if (err.keyword === 'enum') {
    problem = `must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
  }
  return new ConfigError(file, lineOf(doc, path, lines), field, problem);
}

/** Line of the deepest node on the path that exists (a missing key points at its parent). */
function lineOf(doc: Document, path: string[], lines: LineCounter): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const node = depth === 0 ? doc.contents : doc.getIn(keys, true);
    if (isNode(node) && node.range) {
      // For an unknown key, point at the key itself, which is just before its value.
      return lines.linePos(node.range[0]).line;
    }
    if (depth > 0) {
      const parent = depth === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
      const pair = (parent as { items?: { key: { value?: unknown; range?: number[] } }[] } | null)?.items?.find(
        (p) => p.key?.value === keys[keys.length - 1],
      );
      if (pair?.key?.range?.[0] !== undefined) return lines.linePos(pair.key.range[0]).line;
    }
  }
  return 1;
}
