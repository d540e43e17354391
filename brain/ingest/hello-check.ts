/**
 * The checks on what an agent says about itself in its hello: its host name and labels (the
 * agent id is checked with the rest of the hello). Pure, so it can run wherever the hello is
 * handled; a refusal is a FloorwatchError whose code maps to gRPC INVALID_ARGUMENT and whose
 * message names the field and the rule, shown to the agent in the stream's status.
 */
import { FloorwatchError } from '../../lib/errors.js';
import { HOST_PATTERN, LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, MAX_LABELS } from '../../lib/agent-names.js';

const HOST = new RegExp(HOST_PATTERN);
const LABEL_KEY = new RegExp(LABEL_KEY_PATTERN);
const LABEL_VALUE = new RegExp(LABEL_VALUE_PATTERN);

export interface AgentIdentity {
  host: string;
  labels: Record<string, string>;
}

/** The host (the agent id when the hello has none) and a copy of the labels; throws FW_ERR_WIRE_BAD_HELLO. */
export function checkHelloIdentity(
  agentId: string,
  host: string | null | undefined,
  labels: Record<string, string> | null | undefined,
): AgentIdentity {
  const h = host || agentId;
  if (!HOST.test(h)) refuse(`host ${quoted(h)} is not a host name (letters, digits, . _ -; at most 253 characters)`);
  const entries = Object.entries(labels ?? {});
  if (entries.length > MAX_LABELS) refuse(`${entries.length} labels; at most ${MAX_LABELS}`);
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) refuse(`label name ${quoted(k)} is not a name (letters, digits, _; at most 63 characters)`);
    if (typeof v !== 'string' || !LABEL_VALUE.test(v))
      refuse(`label ${k}: value ${quoted(String(v))} has characters other than letters, digits and . _ : / @ + - or is longer than 128`);
  }
  return { host: h, labels: Object.fromEntries(entries) };
}

function refuse(why: string): never {
  throw new FloorwatchError('FW_ERR_WIRE_BAD_HELLO', why);
}

/** Shown in a status and a log line: bounded, control characters escaped by JSON. */
function quoted(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
