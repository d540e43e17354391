/**
 * What the brain knows of each agent: identity and labels, which batch seqs it has received
 * and stored (the dedupe state), loss accounting, and liveness. A silent agent is a signal
 * with the time it was last heard (issue #2, item 4).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { EventLog } from '../state/event-log.js';

export interface AgentRecord {
  readonly id: string;
  host: string;
  labels: Record<string, string>;
  softwareVersion: string;
  /** What the host is, as the agent last reported it (proto HostInventory); undefined until it does. */
  inventory: HostInventoryView | undefined;
  runId: string;
  peer: string;
  /** Highest batch seq accepted (maybe not yet durable): a batch at or below it is a duplicate. */
  receivedSeq: number;
  /** Highest contiguous batch seq stored durably: what Welcome and Ack report. */
  ackedSeq: number;
  connected: boolean;
  firstSeenMs: number;
  lastHeardMs: number;
  /** The brain's own stalls (LoopWatch.stalledMsNow) when it was last heard. */
  heardLateMs: number;
  silentSinceMs: number | undefined;
  samplesReceived: number;
  batchesReceived: number;
  duplicateBatches: number;
  /** Batches whose seq was skipped (the agent's queue dropped them). */
  missingBatches: number;
  /** What the agent says it produced, and what its bounded queue had to drop. */
  agentCumulativeSamples: number;
  agentDroppedSamples: number;
  /** The live stream's ack function, if connected. */
  sendAck: ((upto: number) => void) | undefined;
  /**
   * Ends the live stream: a newer stream of the same agent replaces it, or (with `code`
   * FW_ERR_PAIR_SECONDARY) a pair's brain that stopped being primary refuses it.
   */
  replace: ((code?: 'FW_ERR_PAIR_SECONDARY') => void) | undefined;
}

/** The fleet inventory of one host, as /api/agents shows it. */
export interface HostInventoryView {
  os: string;
  kernel: string;
  arch: string;
  cpu_model: string;
  cpu_cores: number;
  cpu_physical_cores: number;
  memory_bytes: number;
  nics: { name: string; mac: string; speed_mbps: number; driver: string }[];
  config_hash: string;
  pushed_config_hash: string;
  node_version: string;
  collect_ms: number;
  received_ms: number;
}

export class AgentRegistry {
  readonly #agents = new Map<string, AgentRecord>();
  readonly #clock: Clock;
  readonly #events: EventLog;
  readonly #silentAfterMs: number;
  /** The brain's own lateness, and the ingest worker's (brain/start/ingest-worker.ts): see `discount`. */
  readonly #lags: { stalledMsNow(): number }[] = [];
  #timer: Timer | undefined;
  #checkEveryMs = 0;
  /** When the previous liveness check ran: every message that had arrived by then had been read. */
  #lastCheckMs: number | undefined;

  /**
   * `lag`: the brain's own event-loop lateness (brain/state/loop-watch.ts). With it, silence is
   * judged in the time the brain was attending: a stall of the brain is not an agent's silence.
   */
  constructor(opts: { clock: Clock; events: EventLog; silentAfterMs: number; lag?: { stalledMsNow(): number } }) {
    this.#clock = opts.clock;
    this.#events = opts.events;
    this.#silentAfterMs = opts.silentAfterMs;
    if (opts.lag) this.#lags.push(opts.lag);
  }

  /**
   * Another source of time the brain was not attending to the agents' streams (the ingest
   * worker's stalls, its paused reading, the hand-over's delay), left out of silence as the
   * brain's own stalls are: an agent's silence is the time since it was last heard less what
   * these added up to meanwhile (a delay that shrinks as the brain catches up counts back in).
   */
  discount(lag: { stalledMsNow(): number }): void {
    this.#lags.push(lag);
  }

  #lagNow(): number {
    let ms = 0;
    for (const l of this.#lags) ms += l.stalledMsNow();
    return ms;
  }

  get(id: string): AgentRecord | undefined {
    return this.#agents.get(id);
  }

  all(): IterableIterator<AgentRecord> {
    return this.#agents.values();
  }

  get connectedCount(): number {
    let n = 0;
    for (const a of this.#agents.values()) if (a.connected) n++;
    return n;
  }

  /** The record for an agent, created on first sight (or from recovered seq state). */
  ensure(id: string): AgentRecord {
    let a = this.#agents.get(id);
    if (!a) {
      const now = this.#clock.now();
      a = {
        id,
        host: '',
        labels: {},
        softwareVersion: '',
        inventory: undefined,
        runId: '',
        peer: '',
        receivedSeq: 0,
        ackedSeq: 0,
        connected: false,
        firstSeenMs: now,
        lastHeardMs: 0,
        heardLateMs: 0,
        silentSinceMs: undefined,
        samplesReceived: 0,
        batchesReceived: 0,
        duplicateBatches: 0,
        missingBatches: 0,
        agentCumulativeSamples: 0,
        agentDroppedSamples: 0,
        sendAck: undefined,
        replace: undefined,
      };
      this.#agents.set(id, a);
    }
    return a;
  }

  /** Recovery: the spool held `seq` of this agent, so it was stored. */
  recovered(id: string, seq: number): void {
    const a = this.ensure(id);
    if (seq > a.ackedSeq) a.ackedSeq = a.receivedSeq = seq;
  }

  heard(a: AgentRecord): void {
    a.lastHeardMs = this.#clock.now();
    a.heardLateMs = this.#lagNow();
    if (a.silentSinceMs !== undefined) {
      this.#events.brainEvent('agent.back', { agent: a.id, host: a.host }, { silent_ms: a.lastHeardMs - a.silentSinceMs }, 0);
      a.silentSinceMs = undefined;
    }
  }

  /** `seq` is now durable; acks go out in order because the spool commits in order. */
  stored(a: AgentRecord, seq: number): void {
    if (seq <= a.ackedSeq) return;
    a.ackedSeq = seq;
    a.sendAck?.(seq);
  }

  startLiveness(everyMs: number): void {
    this.#checkEveryMs = everyMs;
    this.#timer = this.#clock.setInterval(() => this.checkSilence(), everyMs);
  }

  stop(): void {
    this.#timer?.cancel();
  }

  /**
   * A check that runs late (the brain's event loop stalled) runs before the streams are read:
   * the agents' batches that arrived during the stall are still queued, and judging silence up
   * to now would call agents silent that are fine — thousands at once on a saturated brain.
   * With the brain's lag watch, an agent's silence is the time since it was last heard less the
   * brain's own stalls meanwhile (stopped, blocked, or so far behind a backlog that its ticks
   * ran 250 ms late or more). Without one, a late check judges only up to the previous check.
   */
  checkSilence(): void {
    const now = this.#clock.now();
    const late = this.#lastCheckMs !== undefined && now - this.#lastCheckMs > 2 * this.#checkEveryMs;
    const judgedAt = late && !this.#lags.length ? this.#lastCheckMs! : now;
    const lateNow = this.#lagNow();
    this.#lastCheckMs = now;
    // One burst: an alert storm (a colour dark) is correlated as one change, not thousands.
    this.#events.burst(() => this.#judge(now, judgedAt, lateNow));
  }

  #judge(now: number, judgedAt: number, lateNow: number): void {
    for (const a of this.#agents.values()) {
      if (a.lastHeardMs === 0 || a.silentSinceMs !== undefined) continue;
      if (judgedAt - a.lastHeardMs - (lateNow - a.heardLateMs) >= this.#silentAfterMs) {
        a.silentSinceMs = a.lastHeardMs;
        this.#events.brainEvent(
          'agent.silent',
          { agent: a.id, host: a.host, ...a.labels },
          { last_heard_ms: a.lastHeardMs, silent_ms: now - a.lastHeardMs },
          3,
        );
      }
    }
  }

  /** The seq state worth keeping across restarts (written before spool segments are deleted). */
  checkpoint(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.#agents.values()) if (a.ackedSeq > 0) out[a.id] = a.ackedSeq;
    return out;
  }
}
