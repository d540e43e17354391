/** Wires a PairMember to the component's socket: heartbeats to the peer's port, validated on the way in. */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { MemberConfig, PlantConfig } from '../config.js';
import type { DatagramOut } from '../net/udp.js';
import { PairMember, type PairHeartbeat, type RoleChange } from '../pair/pair-member.js';
import { hostMonoUs } from '../time.js';
import { sendJson } from './runtime.js';

export interface PairLink {
  member: PairMember;
  /** Host-monotonic µs when the current role began. */
  roleSinceMonoUs: () => number;
  onJson: (msg: Record<string, unknown>) => boolean;
  peerSummary: () => { id: string; role: string; age_ms: number } | null;
}

export function linkPair(opts: {
  cfg: PlantConfig;
  self: MemberConfig;
  peer: MemberConfig | undefined;
  clock: Clock;
  log: Logger;
  out: () => DatagramOut;
  position: () => number;
  onRoleChange: (c: RoleChange) => void;
}): PairLink {
  let roleSince = hostMonoUs();
  const { cfg, self, peer, clock, log } = opts;
  const member = new PairMember({
    id: self.id,
    rank: self.rank,
    clock,
    heartbeatMs: cfg.pairing.heartbeat_ms,
    missedHeartbeats: cfg.pairing.missed_heartbeats,
    startedUs: clock.nowUs(),
    defer: (fn) => setImmediate(fn),
    position: opts.position,
    send: (hb) => {
      if (peer) sendJson(opts.out(), hb, { host: cfg.host, port: peer.port });
    },
    onRoleChange: (c) => {
      // A split-brain winner re-announces under a new term but has led all along.
      if (c.reason !== 'split_brain_won') roleSince = hostMonoUs();
      log.info({ role: c.role, reason: c.reason, term: c.term, replayFrom: c.replayFrom }, 'role change');
      opts.onRoleChange(c);
    },
  });
  return {
    member,
    roleSinceMonoUs: () => roleSince,
    onJson: (msg) => {
      if (msg['t'] !== 'pair') return false;
      if (isPairHeartbeat(msg)) member.onPeerHeartbeat(msg);
      return true;
    },
    peerSummary: () => {
      const p = member.peer;
      return p ? { id: p.heartbeat.id, role: p.heartbeat.role, age_ms: Math.round(p.ageMs) } : null;
    },
  };
}

function isPairHeartbeat(m: Record<string, unknown>): m is PairHeartbeat & Record<string, unknown> {
  return (
    typeof m['id'] === 'string' &&
    typeof m['rank'] === 'number' &&
    (m['role'] === 'primary' || m['role'] === 'secondary') &&
    typeof m['term'] === 'number' &&
    typeof m['startedUs'] === 'number' &&
    typeof m['sentUs'] === 'number' &&
    typeof m['position'] === 'number' &&
    typeof m['yielding'] === 'boolean'
  );
}
