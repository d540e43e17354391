/**
 * The brain's pair part (brain/pair/): the role node (UDP, with the witness), journal and outbox
 * replication, and the switch that starts the *active* parts (alerting, history, paging) when
 * this brain becomes primary and stops them when it is not. A secondary runs state, store,
 * ingest (refusing agents: they send to the primary) and HTTP, and follows the primary's
 * journal and outbox into its own state files; becoming primary is then the brain's own
 * restart path (replay the journal, replay the outbox, resume escalation from each incident's
 * opening), which the single brain already proves after a SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileAtomic } from '../../lib/state-files.js';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { BrainConfig } from '../config.js';
import { startPairNode, type PairNode, type PairStatus } from '../pair/node.js';
import type { PairConfig } from '../pair/pair-config.js';
import { Replica, ReplicationSource } from '../pair/replication.js';
import type { EventLog } from '../state/event-log.js';
import type { SchedTimes } from '../state/loop-watch.js';
import { TakeoverSteps, type StepRunner, type TakeoverReport } from '../pair/takeover-steps.js';

/** After the last start step, how long a take-over's event-loop delay is still watched (agents reconnect and replay). */
const TAKEOVER_SETTLE_MS = 1_000;

/** What the pair switches on and off. */
export interface ActiveParts {
  stop(): Promise<void>;
  snapshot(): { i: string[]; o: string[] };
}

export interface PairHooks {
  readonly onRecord: (f: 'i' | 'o', line: string) => void;
  readonly gate: () => Promise<boolean>;
  readonly mayAct: () => boolean;
}

export interface PairPart {
  readonly node: PairNode;
  readonly hooks: PairHooks;
  /** True while the active parts run (agents are accepted only then). */
  active(): boolean;
  status(): PairStatus & { syncedTerm: number; replica: { connected: boolean; to?: string; inSync?: boolean } };
  stop(): Promise<void>;
}

export async function startPairPart(
  config: BrainConfig & { pair: PairConfig },
  d: {
    clock: Clock;
    log: Logger;
    metrics: MetricsRegistry;
    events: EventLog;
    /** The thread's CPU time (brain/state/loop-watch.ts threadSchedTimes); with it, each take-over step's CPU is measured. */
    sched: (() => SchedTimes | undefined) | undefined;
    /** Starts the active parts, each part through `step` (which yields to the event loop first). */
    startActive: (hooks: PairHooks, step: StepRunner) => Promise<ActiveParts>;
  },
): Promise<PairPart> {
  const { clock, metrics } = d;
  const log = d.log.child({ component: 'pair' });
  const pair = config.pair;
  const id = config.brain.id;
  const self = pair.members.find((m) => m.id === id)!;
  const peer = pair.members.find((m) => !m.witness && m.id !== id)!;
  let active: ActiveParts | undefined;
  let node: PairNode | undefined;
  const source = new ReplicationSource({
    listen: self.replication!,
    peerId: peer.id,
    clock,
    log,
    timeoutMs: pair.replication_timeout_ms,
    isPrimary: () => node?.machine.role === 'primary' && active !== undefined,
    peerAlive: () => node?.machine.fresh(peer.id) ?? false,
    snapshot: () => active?.snapshot() ?? { i: [], o: [] },
    metrics,
  });
  await source.listen();
  // The term of the last primary whose state this brain holds, kept across restarts (role.ts).
  const syncedFile = join(config.brain.state_dir, 'pair-synced.json');
  let synced = readSynced(syncedFile);
  const setSynced = (term: number) => {
    if (term <= synced) return;
    synced = term;
    try {
      writeFileAtomic(syncedFile, JSON.stringify({ term }));
    } catch (err) {
      log.error({ file: syncedFile, err: String(err) }, 'pair: synced term not written');
    }
  };
  const replica = new Replica({
    id,
    stateDir: config.brain.state_dir,
    clock,
    log,
    retryMs: pair.heartbeat_ms,
    primaryAddress: () => (node?.machine.primaryId() === peer.id ? peer.replication : undefined),
    onSynced: () => syncedTerm(),
  });
  const syncedTerm = (): number => {
    const m = node?.machine;
    if (m?.role === 'primary') setSynced(m.term);
    else if (replica.inSync) {
      const h = m?.heard(peer.id);
      if (h?.role === 'primary') setSynced(h.term);
    }
    return synced;
  };
  const hooks: PairHooks = {
    onRecord: (f, line) => source.record(f, line),
    gate: async () => {
      const r = await source.waitReplicated();
      if (r !== 'acked') log.warn({ replication: r }, 'pair: page goes before the secondary holds it');
      return node?.machine.mayAct() ?? false;
    },
    mayAct: () => node?.machine.mayAct() ?? false,
  };

  let lastTakeover: TakeoverReport | undefined;
  // Enabled from the start (real time only): a take-over's first block is then measured too.
  const loopDelay = d.sched ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  loopDelay?.enable();
  metrics.gaugeFn(
    'floorwatch_pair_takeover_longest_block_seconds',
    "The last take-over's longest event-loop delay, from the election to 1 s after paging started (lease renewals wait for it).",
    () => (lastTakeover?.longestBlockMs ?? 0) / 1000,
  );
  metrics.gaugeFn(
    'floorwatch_pair_takeover_longest_step_cpu_seconds',
    "The CPU time of the last take-over's longest start step (the event loop is not served during a step).",
    () => (lastTakeover?.longestStepCpuMs ?? 0) / 1000,
  );

  // Role changes run one at a time: stopping paging is asynchronous (deliveries in flight end).
  let chain = Promise.resolve();
  let wantPrimary = false;
  const apply = () =>
    (chain = chain
      .then(async () => {
        if (wantPrimary && !active) {
          replica.stop();
          const steps = new TakeoverSteps({ clock, histogram: loopDelay, ...(d.sched ? { sched: d.sched } : {}) });
          active = await d.startActive(hooks, steps.run);
          log.info({ term: node?.machine.term }, 'pair: primary: alerting and paging started from the replicated state');
          void steps.finish(TAKEOVER_SETTLE_MS).then((r) => {
            lastTakeover = r;
            log.info({ term: node?.machine.term, ...r }, 'pair: take-over: event loop');
          });
        } else if (!wantPrimary && active) {
          source.disconnect();
          const a = active;
          active = undefined;
          await a.stop();
          log.info({ term: node?.machine.term }, 'pair: secondary: alerting and paging stopped; following the primary');
        }
        if (!wantPrimary) replica.start();
      })
      .catch((err: unknown) => log.error({ err: String(err) }, 'pair: role switch failed')));

  node = await startPairNode({
    config: pair,
    id,
    clock,
    log,
    roleLog: pair.role_log ?? join(config.brain.state_dir, 'pair-roles.jsonl'),
    metrics,
    syncedTerm,
    onRole: (c) => {
      if (c.role === 'primary') setSynced(c.term);
      wantPrimary = c.role === 'primary';
      void apply();
    },
    handover: async (step) => {
      const m = node!.machine;
      if (m.role !== 'primary') return { ok: false, why: `not primary (${m.role})` };
      if (!m.fresh(peer.id) || m.heard(peer.id)?.role !== 'secondary') return { ok: false, why: `${peer.id} is not a live secondary` };
      // Paging stops first (deliveries in flight finish); only then is the lease given up.
      wantPrimary = false;
      await apply();
      const r = step();
      if (!r.ok) {
        wantPrimary = m.role === 'primary';
        await apply();
      }
      return r;
    },
  });

  const legs = watchLegs(pair, id, node, d.events, () => active !== undefined, clock);
  return {
    node,
    hooks,
    active: () => active !== undefined,
    status: () => ({
      ...node!.status(),
      syncedTerm: syncedTerm(),
      replica: source.connected
        ? { connected: true }
        : replica.connectedTo
          ? { connected: true, to: replica.connectedTo, inSync: replica.inSync }
          : { connected: false },
    }),
    stop: async () => {
      legs.cancel();
      loopDelay?.disable();
      await node!.stop();
      wantPrimary = false;
      await apply();
      replica.stop();
      await source.close();
    },
  };
}

function readSynced(file: string): number {
  try {
    const term = (JSON.parse(readFileSync(file, 'utf8')) as { term?: unknown }).term;
    return typeof term === 'number' && Number.isFinite(term) ? term : 0;
  } catch {
    return 0;
  }
}

/**
 * The pair's own health, paged like any other pair's: while this brain is primary, a member
 * (the peer brain or the witness) unheard for `leg_down_after_ms` publishes `pair.leg_down`
 * (severity 3, tags {pair_member, member_kind}) and `pair.leg_up` once heard again; rules/brain.yaml
 * turns them into the major PairLegDown incident ("one leg broken"). A new primary states every
 * member once (a leg_up of a member that never went down resolves nothing).
 */
function watchLegs(pair: PairConfig, self: string, node: PairNode, events: EventLog, isActive: () => boolean, clock: Clock): Timer {
  const down = new Map<string, boolean | undefined>();
  let activeSince: number | undefined;
  return clock.setInterval(() => {
    const now = clock.monotonic();
    if (!isActive()) {
      activeSince = undefined;
      return;
    }
    if (activeSince === undefined) {
      activeSince = now;
      down.clear();
    }
    for (const m of pair.members) {
      if (m.id === self) continue;
      const h = node.machine.heard(m.id);
      // Never heard: down once we have led for as long as a heard member may stay silent.
      const isDown = h ? h.ageMs > pair.leg_down_after_ms : now - activeSince > pair.leg_down_after_ms;
      if (!h && !isDown) continue;
      if (down.get(m.id) === isDown) continue;
      down.set(m.id, isDown);
      const tags = { pair_member: m.id, member_kind: m.witness ? 'witness' : 'brain', brain: self };
      events.brainEvent(isDown ? 'pair.leg_down' : 'pair.leg_up', tags, { heard_ms_ago: h ? Math.round(h.ageMs) : -1 }, isDown ? 3 : 0);
    }
  }, pair.heartbeat_ms);
}
