/**
 * Every query parameter and body field an endpoint takes, declared with its type and bounds;
 * anything else, a repeated parameter, a number that is not one or past its maximum, is a 400
 * naming the parameter (`/api/series?limit=abc` once meant "no limit at all": review S7).
 */
import { parseDuration } from '../../lib/duration.js';
import { Refusal } from './guard.js';

export type Param =
  | { kind: 'int'; min: number; max: number; default?: number }
  | { kind: 'enum'; values: readonly string[]; default?: string }
  | { kind: 'string'; max: number; required?: boolean }
  | { kind: 'boolean' }
  | { kind: 'duration'; maxMs: number }
  | { kind: 'epoch_ms' };

export type ParamSpec = Readonly<Record<string, Param>>;
export type Values = Record<string, string | number | boolean | undefined>;

export const int = (min: number, max: number, def?: number): Param => ({
  kind: 'int',
  min,
  max,
  ...(def !== undefined ? { default: def } : {}),
});
export const text = (max: number, required = false): Param => ({ kind: 'string', max, required });

export function queryValues(spec: ParamSpec, params: URLSearchParams): Values {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!(name in spec)) throw bad(`unknown query parameter ${quote(name)}${takes(spec)}`);
    if (seen.has(name)) throw bad(`query parameter ${quote(name)} given twice`);
    seen.add(name);
  }
  const out: Values = {};
  for (const [name, p] of Object.entries(spec)) out[name] = fromString(name, p, params.get(name));
  return out;
}

export function bodyValues(spec: ParamSpec, body: Record<string, unknown>): Values {
  for (const name of Object.keys(body)) {
    if (!(name in spec))
      throw bad(`unknown field ${quote(name)}${takes(spec)}${name === 'by' ? ' (the actor is who signed in, never a field)' : ''}`);
  }
  const out: Values = {};
  for (const [name, p] of Object.entries(spec)) out[name] = fromJson(name, p, Object.hasOwn(body, name) ? body[name] : undefined);
  return out;
}

function fromString(name: string, p: Param, raw: string | null): Values[string] {
  if (raw === null) return missing(name, p);
  switch (p.kind) {
    case 'int':
    case 'epoch_ms':
      return checked(name, p, /^-?[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN);
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw bad(`${name} must be true or false`);
      return raw === 'true';
    default:
      return checked(name, p, raw);
  }
}

function fromJson(name: string, p: Param, v: unknown): Values[string] {
  if (v === undefined || v === null) return missing(name, p);
  if (p.kind === 'boolean') {
    if (typeof v !== 'boolean') throw bad(`${name} must be true or false`);
    return v;
  }
  if (p.kind === 'int' || p.kind === 'epoch_ms') {
    if (typeof v !== 'number') throw bad(`${name} must be a number`);
    return checked(name, p, v);
  }
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  return checked(name, p, v);
}

function checked(name: string, p: Param, v: number | string): Values[string] {
  switch (p.kind) {
    case 'int':
      if (!Number.isInteger(v) || (v as number) < p.min || (v as number) > p.max)
        throw bad(`${name} must be an integer from ${p.min} to ${p.max}`);
      return v;
    case 'epoch_ms':
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(`${name} must be epoch milliseconds`);
      return v;
    case 'enum':
      if (!p.values.includes(v as string)) throw bad(`${name} must be one of ${p.values.join(', ')}`);
      return v;
    case 'string':
      if ((v as string).length > p.max) throw bad(`${name} is longer than ${p.max} characters`);
      if (p.required && (v as string).trim() === '') throw bad(`${name} is required`);
      return v;
    case 'duration': {
      let ms: number;
      try {
        ms = parseDuration(v as string);
      } catch (err) {
        throw bad(`${name}: ${(err as Error).message}`);
      }
      if (ms <= 0 || ms > p.maxMs) throw bad(`${name} must be more than 0 and at most ${p.maxMs / 86_400_000}d`);
      return ms;
    }
    case 'boolean':
      return v;
  }
}

function missing(name: string, p: Param): Values[string] {
  if (p.kind === 'string' && p.required) throw bad(`${name} is required`);
  return 'default' in p ? p.default : undefined;
}

function takes(spec: ParamSpec): string {
  const names = Object.keys(spec);
  return names.length ? ` (this endpoint takes ${names.join(', ')})` : ' (this endpoint takes none)';
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

function bad(message: string): Refusal {
  return new Refusal(400, message, 'bad_request');
}
