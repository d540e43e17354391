/**
 * What both kinds of paired plant component (feed handler, ticker plant) share: the sequenced
 * receiver of the upstream feed built from the delivery config, and the lifecycle — the one
 * socket, the pair link, the health heartbeat, the receiver's NAK timer and the heartbeat timer,
 * started and stopped in one order. Each component keeps what it does with the feed and its roles.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { healthTargets, pairMember, type PlantConfig } from '../config.js';
import { HealthPublisher, type HealthBody } from '../health/publisher.js';
import type { RoleChange } from '../pair/pair-member.js';
import { SequencedReceiver } from '../reliable/receiver.js';
import type { WindowedLatency } from '../stats/histogram.js';
import { hostMonoUs } from '../time.js';
import { RECORD_BYTES, recordTsUs, recordsView } from '../wire/record.js';
import { linkPair, type PairLink } from './pair-link.js';
import { openSocket, type Handlers, type OpenSocket } from './runtime.js';

/** The upstream feed's receiver, repairing gaps by NAK within the delivery config's bounds. */
export function feedReceiver(
  cfg: PlantConfig,
  clock: Clock,
  sendNak: (from: number, to: number) => void,
  deliver: (seq: number, body: Buffer, count: number) => void,
): SequencedReceiver {
  const d = cfg.delivery;
  return new SequencedReceiver({
    clock,
    nakRetryMs: d.nak_retry_ms,
    maxNakRetries: d.max_nak_retries,
    maxHeldRecords: d.max_held_records,
    maxNakRecords: d.max_nak_records,
    joinBacklog: d.join_backlog_records,
    sendNak,
    deliver,
  });
}

/** Each delivered record's age at this hop; the join backlog of a restarted member is history, not this hop's latency. */
export function recordHopLatency(latency: WindowedLatency, receiver: SequencedReceiver, seq: number, body: Buffer, count: number): void {
  const now = hostMonoUs();
  const records = recordsView(body);
  for (let i = Math.max(0, receiver.joinPoint - seq); i < count; i++) latency.record(now - recordTsUs(records, i * RECORD_BYTES));
}

/** The start of both kinds' exit summary: the pair's state and the upstream position. */
export function pairedSummary(pair: PairLink, receiver: SequencedReceiver) {
  const m = pair.member;
  return { role: m.role, term: m.term, failovers: m.failovers, position: receiver.expected - 1, receiver: receiver.counters };
}

/**
 * The health fields both kinds fill alike (the pair's view and the upstream receiver's), and
 * whether the peer's heartbeats are lost; each kind adds its state, reason, rates and counters.
 */
export function pairedHealth(cfg: PlantConfig, pair: PairLink, receiver: SequencedReceiver, lastUpdateUs: number) {
  const m = pair.member;
  const peer = pair.peerSummary();
  const peerLost = !peer || peer.age_ms > cfg.pairing.heartbeat_ms * cfg.pairing.missed_heartbeats;
  const r = receiver;
  const seq = r.expected - 1;
  const fields = {
    role: m.role,
    term: m.term,
    seq,
    gaps: {
      detected: r.counters.gapsDetected,
      recovered: r.gapsRecovered,
      unrecoverable: r.counters.gapsUnrecoverable,
      unrecoverable_records: r.counters.unrecoverableRecords,
    },
    duplicates: r.counters.duplicateRecords,
    feeds: { [cfg.provider.id]: { last_update_us: lastUpdateUs, seq } },
    failovers: m.failovers,
    role_since_mono_us: pair.roleSinceMonoUs(),
    peer,
  };
  return { peerLost, fields };
}

export interface PairedOptions {
  cfg: PlantConfig;
  pair: PlantConfig['feed_handlers'];
  id: string;
  clock: Clock;
  log: Logger;
  handlers: Handlers;
  receiver: SequencedReceiver;
  /** The feed position sent to the peer in pair heartbeats. */
  position: () => number;
  onRoleChange: (c: RoleChange) => void;
  healthBody: () => HealthBody;
  /** Called every health interval (position packets downstream). */
  everyHeartbeat: () => void;
}

export interface Paired {
  readonly io: OpenSocket;
  readonly pair: PairLink;
  readonly health: HealthPublisher;
  /** Starts the pair member, the health heartbeat and the timers (plus the component's own). */
  start(extra?: Timer[]): void;
  stop(): Promise<void>;
}

/**
 * Binds the component's port and links its pair, not yet started: the caller keeps the parts
 * (its handlers may fire only after it has them), then calls `start`.
 */
export async function openPaired(o: PairedOptions): Promise<Paired> {
  const { cfg, clock, log } = o;
  const { self, peer } = pairMember(o.pair, o.id);
  const io = await openSocket(self.port, cfg.host, cfg.delivery.socket_buffer_bytes, o.handlers, log);
  const pair = linkPair({ cfg, self, peer, clock, log, out: () => io.out, position: o.position, onRoleChange: o.onRoleChange });
  const health = new HealthPublisher(io.out, healthTargets(cfg), cfg.health.interval_ms, clock, o.healthBody);
  const timers: Timer[] = [];
  return {
    io,
    pair,
    health,
    start(extra = []) {
      pair.member.start();
      health.start();
      timers.push(
        clock.setInterval(() => o.receiver.tick(), Math.max(1, Math.floor(cfg.delivery.nak_retry_ms / 3))),
        clock.setInterval(o.everyHeartbeat, cfg.health.interval_ms),
        ...extra,
      );
    },
    async stop() {
      timers.forEach((t) => t.cancel());
      pair.member.stop();
      health.stop();
      await io.close();
    },
  };
}
