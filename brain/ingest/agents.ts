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
  runId: string;
  peer: string;
  /** Highest batch seq accepted (maybe not yet durable): a batch at or below it is a duplicate. */
  receivedSeq: number;
  /** Highest contiguous batch seq stored durably: what Welcome and Ack report. */
  ackedSeq: number;
  connected: boolean;
  firstSeenMs: number;
  lastHeardMs: number;
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
  /** Ends the live stream (a newer stream of the same agent replaces it). */
  replace: (() => void) | undefined;
}

export class AgentRegistry {
  readonly #agents = new Map<string, AgentRecord>();
  readonly #clock: Clock;
  readonly #events: EventLog;
  readonly #silentAfterMs: number;
  #timer: Timer | undefined;
  #checkEveryMs = 0;
  /** When the previous liveness check ran: every message that had arrived by then had been read. */
  #lastCheckMs: number | undefined;

  constructor(opts: { clock: Clock; events: EventLog; silentAfterMs: number }) {
    this.#clock = opts.clock;
    this.#events = opts.events;
    this.#silentAfterMs = opts.silentAfterMs;
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
        runId: '',
        peer: '',
        receivedSeq: 0,
        ackedSeq: 0,
        connected: false,
        firstSeenMs: now,
        lastHeardMs: 0,
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
   * to now would call agents silent that are fine — thousands at once on a saturated brain. So a
   * late check judges only up to the previous check; the next timely one judges up to its time.
   */
  checkSilence(): void {
    const now = this.#clock.now();
    const late = this.#lastCheckMs !== undefined && now - this.#lastCheckMs > 2 * this.#checkEveryMs;
    const judgedAt = late ? this.#lastCheckMs! : now;
    this.#lastCheckMs = now;
    for (const a of this.#agents.values()) {
      if (a.lastHeardMs === 0 || a.silentSinceMs !== undefined) continue;
      if (judgedAt - a.lastHeardMs >= this.#silentAfterMs) {
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
