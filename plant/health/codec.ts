/**
 * Health heartbeats are compact JSON: low rate (10/s per component), read by humans in
 * captures, and validated field by field so a malformed datagram is refused, never half-used.
 */
import { HEALTH_VERSION, MAX_HEALTH_DATAGRAM_BYTES, componentKinds, healthRoles, healthStates, type HealthHeartbeat } from './types.js';

export function encodeHealth(hb: HealthHeartbeat): Buffer {
  return Buffer.from(JSON.stringify(hb));
}

export type DecodeResult = { ok: true; heartbeat: HealthHeartbeat } | { ok: false; error: string };

export function decodeHealth(buf: Buffer): DecodeResult {
  if (buf.length > MAX_HEALTH_DATAGRAM_BYTES)
    return { ok: false, error: `datagram of ${buf.length} bytes exceeds ${MAX_HEALTH_DATAGRAM_BYTES}` };
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const problem = validate(value);
  return problem ? { ok: false, error: problem } : { ok: true, heartbeat: value as HealthHeartbeat };
}

type Check = (v: unknown) => boolean;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const str: Check = (v) => typeof v === 'string' && v.length > 0 && v.length <= 128;
const oneOf =
  (xs: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && xs.includes(v);
const nullOr =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const obj =
  (fields: Record<string, Check>): Check =>
  (v) =>
    isRecord(v) && Object.entries(fields).every(([k, c]) => c(v[k]));
const recordOf =
  (c: Check): Check =>
  (v) =>
    isRecord(v) && Object.values(v).every(c);
const strList: Check = (v) => Array.isArray(v) && v.length <= 64 && v.every(str);

const fields: Record<string, Check> = {
  v: (v) => v === HEALTH_VERSION,
  component: str,
  kind: oneOf(componentKinds),
  pair: nullOr(str),
  role: oneOf(healthRoles),
  state: oneOf(healthStates),
  reason: nullOr((v) => typeof v === 'string'),
  term: num,
  hb_seq: num,
  interval_ms: num,
  pid: num,
  // Optional: heartbeats from senders before it still decode.
  start_ticks: (v) => v === undefined || v === null || num(v),
  seq: num,
  rates: obj({ in_per_s: num, out_per_s: num }),
  latency_us: nullOr(obj({ p50: num, p99: num, p999: num, max: num, count: num })),
  gaps: obj({ detected: num, recovered: num, unrecoverable: num, unrecoverable_records: num }),
  duplicates: num,
  stale_symbols: num,
  stale_sample: strList,
  feeds: recordOf(obj({ last_update_us: num, seq: num })),
  failovers: num,
  role_since_mono_us: num,
  peer: nullOr(obj({ id: str, role: str, age_ms: num })),
  time_us: num,
  mono_us: num,
  counters: recordOf(num),
};

function validate(value: unknown): string | null {
  if (!isRecord(value)) return 'not an object';
  for (const [name, check] of Object.entries(fields)) {
    if (!check(value[name])) return `field ${name} is missing or invalid`;
  }
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
