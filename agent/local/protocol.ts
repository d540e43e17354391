/**
 * The local reporting protocol: newline-delimited JSON over the agent's Unix socket, spoken by
 * `floorwatch run` and by any other producer on the host (the reference plant's components).
 * Kept tiny on purpose so a producer in any language can speak it with a JSON library.
 * See README.md beside this file for the specification.
 */

export const PROTOCOL_VERSION = 1;
/** A line longer than this (bytes, newline excluded) is refused: bounds the agent's memory per connection. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Where producers and the agent meet unless configured otherwise. */
export const DEFAULT_AGENT_SOCKET = '/run/floorwatch/agent.sock';

const MAX_MAP_ENTRIES = 64;
const MAX_KEY_LENGTH = 64;
const MAX_TAG_VALUE_LENGTH = 256;
const MAX_ATTR_LENGTH = 1024;
// Our own fixed syntax, not a user pattern: safe as a JS RegExp.
const NAME_SYNTAX = /^[a-z][a-z0-9_.]{0,63}$/;
const KEY_SYNTAX = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export type Severity = 0 | 1 | 2 | 3 | 4;

export interface EventMessage {
  v: 1;
  type: 'event';
  kind: string;
  time_us?: number;
  tags?: Record<string, string>;
  attrs?: Record<string, string>;
  values?: Record<string, number>;
  severity?: Severity;
}

export interface SampleMessage {
  v: 1;
  type: 'sample';
  measurement: string;
  time_us?: number;
  tags?: Record<string, string>;
  /** Values at an instant (gauges). */
  fields?: Record<string, number>;
  /** Monotonically increasing counts since the producer started. */
  counters?: Record<string, number>;
}

export type LocalMessage = EventMessage | SampleMessage;

export type ParseResult = { ok: true; message: LocalMessage } | { ok: false; error: string };

export function encodeMessage(message: LocalMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Validates one line (without its newline). Never throws. */
export function parseMessage(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  try {
    return { ok: true, message: validateMessage(value) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function validateMessage(value: unknown): LocalMessage {
  const obj = asObject(value, 'message');
  if (obj['v'] !== PROTOCOL_VERSION) throw new Error(`unsupported version ${JSON.stringify(obj['v'])}`);
  const common = {
    ...optional('time_us', timeUs(obj['time_us'])),
    ...optional('tags', stringMap(obj['tags'], 'tags', MAX_TAG_VALUE_LENGTH)),
  };
  if (obj['type'] === 'event') {
    const severity = obj['severity'];
    if (severity !== undefined && !(Number.isInteger(severity) && (severity as number) >= 0 && (severity as number) <= 4)) {
      throw new Error('severity must be an integer 0..4');
    }
    return {
      v: 1,
      type: 'event',
      kind: name(obj['kind'], 'kind'),
      ...common,
      ...optional('attrs', stringMap(obj['attrs'], 'attrs', MAX_ATTR_LENGTH)),
      ...optional('values', numberMap(obj['values'], 'values')),
      ...optional('severity', severity as Severity | undefined),
    };
  }
  if (obj['type'] === 'sample') {
    const fields = numberMap(obj['fields'], 'fields');
    const counters = numberMap(obj['counters'], 'counters');
    if (!fields && !counters) throw new Error('a sample needs fields or counters');
    return {
      v: 1,
      type: 'sample',
      measurement: name(obj['measurement'], 'measurement'),
      ...common,
      ...optional('fields', fields),
      ...optional('counters', counters),
    };
  }
  throw new Error('type must be "event" or "sample"');
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function name(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME_SYNTAX.test(value)) throw new Error(`${what} must match ${NAME_SYNTAX.source}`);
  return value;
}

function timeUs(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error('time_us must be a positive integer');
  }
  return value;
}

function entries(value: unknown, what: string): [string, unknown][] | undefined {
  if (value === undefined) return undefined;
  const list = Object.entries(asObject(value, what));
  if (list.length > MAX_MAP_ENTRIES) throw new Error(`${what} has more than ${MAX_MAP_ENTRIES} entries`);
  for (const [key] of list) {
    if (key.length > MAX_KEY_LENGTH || !KEY_SYNTAX.test(key)) throw new Error(`${what} key ${JSON.stringify(key.slice(0, 80))} is invalid`);
  }
  return list;
}

function stringMap(value: unknown, what: string, maxLength: number): Record<string, string> | undefined {
  const list = entries(value, what);
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of list) {
    if (typeof v !== 'string' || v.length > maxLength)
      throw new Error(`${what}.${key} must be a string of at most ${maxLength} characters`);
    out[key] = v;
  }
  return out;
}

function numberMap(value: unknown, what: string): Record<string, number> | undefined {
  const list = entries(value, what);
  if (!list) return undefined;
  const out: Record<string, number> = {};
  for (const [key, v] of list) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}.${key} must be a finite number`);
    out[key] = v;
  }
  return out;
}
