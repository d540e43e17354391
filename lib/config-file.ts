/**
 * Loads a YAML file and validates it against a JSON schema, locating every problem as
 * file:line:field. Defaults from the schema are filled in, so callers get a complete object.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ConfigError, FloorwatchError } from './errors.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

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
    validate = ajv.compile(schema);
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
  const path = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
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
