/**
 * A pair member on the network: the role machine (role.ts) over UDP, one JSON datagram per
 * message, and its role log. Brains and the witness run the same node; only `kind` differs.
 *
 * Datagrams from an address that is not a member's `pair` address are dropped and counted,
 * except the operator's control requests (`floorwatch brain handover|pair-status`), which are
 * taken from loopback or a member's host only. The pair network is trusted like the agents'
 * plaintext loopback: put it on the brains' own segment (docs/brain-pair.md, "Security").
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { dirname } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { isLoopbackHost } from '../../lib/loopback.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { PairConfig } from './pair-config.js';
import { RoleMachine, type PairMessage, type RoleChange } from './role.js';
import { loadVoterState, saveVoterState } from './voter-file.js';

/** Operator requests and answers (not part of the role protocol). */
export type ControlMessage =
  | { t: 'status?'; nonce: string }
  | { t: 'handover?'; nonce: string }
  | { t: 'status'; nonce: string; status: PairStatus }
  | { t: 'handover'; nonce: string; ok: boolean; why?: string };

export interface PairStatus {
  id: string;
  role: string;
  term: number;
  /** ms of lease left (primary only). */
  leaseLeftMs?: number;
  /** Who this member believes is primary. */
  primary: string | undefined;
  /** The other members: last heard (ms ago, null = never), their role and term; `witness` for the witness. */
  members: Record<string, { heardMsAgo: number | null; role?: string; term?: number; witness?: true }>;
  /** The pair's heartbeat, and how long a member may go unheard before it is a broken leg. */
  heartbeatMs: number;
  legDownAfterMs: number;
}

export interface PairNodeOptions {
  readonly config: PairConfig;
  readonly id: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly roleLog: string | undefined;
  readonly metrics?: MetricsRegistry;
  /** Told every role change after it is logged (the brain starts or stops paging here). */
  readonly onRole?: (change: RoleChange) => void;
  /** See RoleMachineOptions.syncedTerm (brains). */
  readonly syncedTerm?: () => number;
  /** The brain's hand-over: stop paging first, then call `step()`; answers why not. */
  readonly handover?: (step: () => { ok: boolean; why?: string }) => Promise<{ ok: boolean; why?: string }>;
  /** Where the voter remembers its term across restarts (the witness; brain/pair/voter-file.ts). */
  readonly voterFile?: string;
}

export interface PairNode {
  readonly machine: RoleMachine;
  readonly port: number;
  status(): PairStatus;
  stop(): Promise<void>;
}

export async function startPairNode(o: PairNodeOptions): Promise<PairNode> {
  const self = o.config.members.find((m) => m.id === o.id);
  if (!self) throw new Error(`pair: ${o.id} is not a member`);
  const others = o.config.members.filter((m) => m.id !== o.id);
  const byAddress = new Map<string, string>();
  const addressOf = new Map<string, { host: string; port: number }>();
  for (const m of o.config.members) {
    const a = split(m.pair);
    addressOf.set(m.id, a);
    // Source addresses as the kernel reports them (members are given as IP addresses or localhost).
    byAddress.set(`${a.host === 'localhost' ? '127.0.0.1' : a.host}:${a.port}`, m.id);
  }
  const memberHosts = new Set(o.config.members.map((m) => split(m.pair).host));
  const sock: Socket = createSocket({ type: split(self.pair).host.includes(':') ? 'udp6' : 'udp4' });
  let dropped = 0;
  const roles = o.metrics?.counter('floorwatch_pair_role_changes_total', 'Role changes of this pair member, by the role taken.', ['role']);
  o.metrics?.counterFn(
    'floorwatch_pair_datagrams_dropped_total',
    'Pair datagrams dropped: unreadable, or from an address that is no member.',
    () => dropped,
  );

  let closed = false;
  const send = (to: string, msg: PairMessage | ControlMessage, dest = addressOf.get(to)) => {
    if (!dest || closed) return;
    sock.send(JSON.stringify(msg), dest.port, dest.host, () => {
      // a send error (peer host unreachable) is a missed heartbeat: the protocol copes
    });
  };
  const logRole = (c: RoleChange) => {
    roles?.inc(1, { role: c.role });
    const now = o.clock.now();
    // A primary that stalled logs its step-down late: leaseEndedAtMs is when it really stopped acting.
    const ended = c.leaseEndedMono !== undefined ? { leaseEndedAtMs: Math.round(now - (o.clock.monotonic() - c.leaseEndedMono)) } : {};
    const line = {
      at: new Date(now).toISOString(),
      atMs: now,
      mono: Math.round(c.mono * 1000) / 1000,
      id: o.id,
      pid: process.pid,
      role: c.role,
      term: c.term,
      reason: c.reason,
      ...ended,
    };
    if (o.roleLog) {
      try {
        appendFileSync(o.roleLog, `${JSON.stringify(line)}\n`);
      } catch (err) {
        o.log.error({ file: o.roleLog, err: String(err) }, 'pair role log not written');
      }
    }
    o.log.info(line, 'pair role');
    o.onRole?.(c);
  };
  const voterFile = o.voterFile;
  const voterState = voterFile ? loadVoterState(voterFile) : undefined;
  if (voterState) o.log.info({ file: voterFile, ...voterState }, 'pair: voter state restored');
  let saveFailures = 0;
  o.metrics?.counterFn(
    'floorwatch_pair_voter_save_failures_total',
    'Voter state changes not written (each refused the grant it would have made).',
    () => saveFailures,
  );
  const machine = new RoleMachine({
    id: o.id,
    kind: self.witness ? 'witness' : 'brain',
    others: others.map((m) => m.id),
    clock: o.clock,
    heartbeatMs: o.config.heartbeat_ms,
    missedHeartbeats: o.config.missed_heartbeats,
    rank: o.config.members.filter((m) => !m.witness).findIndex((m) => m.id === o.id),
    send: (to, msg) => send(to, msg),
    onRole: logRole,
    ...(o.syncedTerm ? { syncedTerm: o.syncedTerm } : {}),
    ...(voterState ? { voterState } : {}),
    ...(voterFile
      ? {
          saveVoter: (state) => {
            try {
              saveVoterState(voterFile, state);
              return true;
            } catch (err) {
              saveFailures++;
              o.log.error({ file: voterFile, err: String(err) }, 'pair: voter state not written; grant refused');
              return false;
            }
          },
        }
      : {}),
  });
  o.metrics?.gaugeFn('floorwatch_pair_primary', '1 while this brain is primary and its lease holds.', () => (machine.mayAct() ? 1 : 0));
  o.metrics?.gaugeFn('floorwatch_pair_term', 'The highest term this pair member knows.', () => machine.term);

  const status = (): PairStatus => {
    const members: PairStatus['members'] = {};
    for (const m of others) {
      const h = machine.heard(m.id);
      const kind = m.witness ? { witness: true as const } : {};
      members[m.id] = h ? { heardMsAgo: Math.round(h.ageMs), role: h.role, term: h.term, ...kind } : { heardMsAgo: null, ...kind };
    }
    const lease = machine.leaseLeftMs();
    return {
      id: o.id,
      role: machine.role,
      term: machine.term,
      ...(Number.isFinite(lease) ? { leaseLeftMs: Math.round(lease) } : {}),
      primary: machine.primaryId(),
      members,
      heartbeatMs: o.config.heartbeat_ms,
      legDownAfterMs: o.config.leg_down_after_ms,
    };
  };

  sock.on('message', (buf, rinfo) => {
    let msg: PairMessage | ControlMessage;
    try {
      msg = JSON.parse(buf.toString('utf8')) as PairMessage | ControlMessage;
    } catch {
      dropped++;
      return;
    }
    const reply = { host: rinfo.address, port: rinfo.port };
    if (msg.t === 'status?' || msg.t === 'handover?') {
      if (!isLoopbackHost(rinfo.address) && !memberHosts.has(rinfo.address)) {
        dropped++;
        return;
      }
      if (msg.t === 'status?') return send('', { t: 'status', nonce: msg.nonce, status: status() }, reply);
      const nonce = msg.nonce;
      void (o.handover ? o.handover(() => machine.handover()) : Promise.resolve(machine.handover())).then((r) =>
        send('', { t: 'handover', nonce, ...r }, reply),
      );
      return;
    }
    const from = byAddress.get(`${rinfo.address}:${rinfo.port}`);
    if (from === undefined || (msg as PairMessage).from !== from) {
      dropped++;
      return;
    }
    machine.receive(msg as PairMessage);
  });
  const { host, port } = split(self.pair);
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', (err) => o.log.warn({ err: String(err) }, 'pair socket error'));
  if (o.roleLog) mkdirSync(dirname(o.roleLog), { recursive: true });
  machine.start();
  return {
    machine,
    port,
    status,
    stop: async () => {
      machine.stop();
      closed = true;
      await new Promise<void>((r) => sock.close(() => r()));
    },
  };
}

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/** Asks one member (a CLI's `pair-status` / `handover`): resolves with its answer or undefined on timeout. */
export async function askMember(
  address: string,
  req: { t: 'status?' | 'handover?' },
  timeoutMs: number,
): Promise<ControlMessage | undefined> {
  const dest = split(address);
  const sock = createSocket(dest.host.includes(':') ? 'udp6' : 'udp4');
  const nonce = Math.random().toString(36).slice(2);
  try {
    return await new Promise<ControlMessage | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('message', (buf) => {
        try {
          const m = JSON.parse(buf.toString('utf8')) as ControlMessage;
          if ('nonce' in m && m.nonce === nonce && (m.t === 'status' || m.t === 'handover')) {
            clearTimeout(timer);
            resolve(m);
          }
        } catch {
          // not ours
        }
      });
      sock.on('error', () => undefined);
      sock.send(JSON.stringify({ ...req, nonce }), dest.port, dest.host);
    });
  } finally {
    sock.close();
  }
}
