/**
 * The `pair:` section of the brain config: the two brains and the witness of a hot-standby pair
 * (brain/pair/role.ts). Every member of the pair reads the same section; a brain finds itself by
 * `brain.id`, the witness by `floorwatch brain witness --id`.
 *
 * ```yaml
 * pair:
 *   heartbeat_ms: 200          # renewals and heartbeats
 *   missed_heartbeats: 2       # a secondary campaigns after this many; take-over < (missed+1) heartbeats
 *   members:
 *     - { id: brain-a, pair: 10.1.0.1:7090, replication: 10.1.0.1:7091 }
 *     - { id: brain-b, pair: 10.2.0.1:7090, replication: 10.2.0.1:7091 }
 *     - { id: witness, pair: 10.3.0.1:7090, witness: true }
 *   witness_page: { pager: "5550199", after_ms: 5000 }   # both brains down: the witness pages (via paging.snpp)
 * ```
 */
import type { ConfigProblem } from '../../lib/config-file.js';

export interface PairMemberConfig {
  readonly id: string;
  /** UDP host:port of the role protocol (heartbeats, votes). */
  readonly pair: string;
  /** TCP host:port where this brain, as primary, streams its journal and outbox to the secondary. */
  readonly replication?: string;
  readonly witness: boolean;
}

export interface PairConfig {
  readonly heartbeat_ms: number;
  readonly missed_heartbeats: number;
  /** How long a page waits for the secondary's acknowledgement of its outbox record before it goes alone. */
  readonly replication_timeout_ms: number;
  /** A member unheard this long is a broken leg: `pair.leg_down`, the PairLegDown incident (major). */
  readonly leg_down_after_ms: number;
  /** The role log (JSON lines): absent = `<state_dir>/pair-roles.jsonl`. */
  readonly role_log?: string;
  /**
   * Both brains down: the witness pages this pager through `paging.snpp` once both have been
   * unheard `after_ms`, and once when one is back (brain/pair/monitor-down.ts). Absent: it only logs.
   */
  readonly witness_page?: { readonly pager: string; readonly after_ms: number };
  readonly members: readonly PairMemberConfig[];
}

const address = { type: 'string', pattern: '^[^\\s]+:\\d+$' };

export const pairSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['members'],
  properties: {
    heartbeat_ms: { type: 'integer', minimum: 10, maximum: 10_000, default: 200 },
    missed_heartbeats: { type: 'integer', minimum: 2, maximum: 20, default: 2 },
    replication_timeout_ms: { type: 'integer', minimum: 10, maximum: 60_000, default: 1_000 },
    leg_down_after_ms: { type: 'integer', minimum: 100, maximum: 600_000, default: 3_000 },
    role_log: { type: 'string', minLength: 1 },
    witness_page: {
      type: 'object',
      additionalProperties: false,
      required: ['pager'],
      properties: {
        pager: { type: 'string', minLength: 1 },
        after_ms: { type: 'integer', minimum: 1000, maximum: 600_000, default: 5_000 },
      },
    },
    members: {
      type: 'array',
      minItems: 3,
      maxItems: 3,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'pair'],
        properties: {
          id: { type: 'string', minLength: 1 },
          pair: address,
          replication: address,
          witness: { type: 'boolean', default: false },
        },
      },
    },
  },
};

/** Two brains with a replication address, one witness, distinct ids and addresses, this brain among them. */
export function pairProblem(pair: PairConfig | undefined, brainId: string): ConfigProblem | undefined {
  if (!pair) return undefined;
  const at = (i: number, field?: string) => ['pair', 'members', i, ...(field ? [field] : [])];
  const witnesses = pair.members.filter((m) => m.witness);
  if (witnesses.length !== 1)
    return {
      path: ['pair', 'members'],
      problem: `needs exactly one member with witness: true (found ${witnesses.length}): two brains cannot make a majority alone`,
    };
  const ids = new Set<string>();
  const addrs = new Set<string>();
  for (const [i, m] of pair.members.entries()) {
    if (ids.has(m.id)) return { path: at(i, 'id'), problem: `"${m.id}" is named twice` };
    ids.add(m.id);
    for (const a of [m.pair, m.replication]) {
      if (a === undefined) continue;
      if (addrs.has(a)) return { path: at(i), problem: `address ${a} is used twice` };
      addrs.add(a);
    }
    if (!m.witness && !m.replication) return { path: at(i), problem: `brain ${m.id} needs a replication address (host:port)` };
  }
  if (!pair.members.some((m) => !m.witness && m.id === brainId)) {
    return {
      path: ['brain', 'id'],
      problem: `"${brainId}" is not one of the pair's brains (${pair.members
        .filter((m) => !m.witness)
        .map((m) => m.id)
        .join(', ')})`,
    };
  }
  return undefined;
}
