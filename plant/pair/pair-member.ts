/**
 * One member of a fault-tolerant pair (feed handlers, ticker plants). The paper: the pair
 * "operate[s] in primary or secondary mode and maintain[s] this relationship by use of a
 * time-stamped heartbeat"; on missing heartbeats the secondary takes over and "re-broadcast[s]
 * the data it received since the last heartbeat was received". Transport-free and clock-driven,
 * so every transition is tested on a fake clock.
 */
import type { Clock, Timer } from '../../lib/clock.js';

export type Role = 'primary' | 'secondary';

export interface PairHeartbeat {
  t: 'pair';
  id: string;
  rank: number;
  role: Role;
  /** Raised by every takeover; desks follow the stream of the higher term. */
  term: number;
  startedUs: number;
  sentUs: number;
  /** Primary: highest seq it has put on the wire. Secondary: highest seq it holds. */
  position: number;
  /** The member cannot serve (its input line is dead) and asks the peer to take over now. */
  yielding: boolean;
}

export type RoleChangeReason = 'startup' | 'missed_heartbeats' | 'peer_yielded' | 'split_brain_lost' | 'split_brain_won' | 'yielded';

export interface RoleChange {
  /** 'primary' with reason 'split_brain_won': the member kept the lead under a new term (re-announce). */
  role: Role;
  reason: RoleChangeReason;
  term: number;
  /** On takeover: re-broadcast everything from this seq (one past the old primary's last heartbeat). */
  replayFrom: number;
  /** Monotonic ms of the last heartbeat heard from the old primary (for fail-over timing). */
  lastPrimaryHeartbeatAt: number | null;
}

export interface PairMemberOptions {
  id: string;
  rank: number;
  clock: Clock;
  heartbeatMs: number;
  missedHeartbeats: number;
  startedUs: number;
  send: (hb: PairHeartbeat) => void;
  position: () => number;
  onRoleChange: (change: RoleChange) => void;
  /**
   * Runs the takeover check once more after pending input has been read (the process passes
   * setImmediate). A secondary whose event loop stalled wakes with its deadline due *and* the
   * primary's heartbeats waiting in the socket: timers run before I/O, so without this second
   * look it would take over from a live primary. Default: check at once (fake-clock tests).
   */
  defer?: (fn: () => void) => void;
  /** Called on every primary heartbeat a secondary hears: the replay buffer may be trimmed to here. */
  onPrimaryHeartbeat?: (position: number) => void;
}

export class PairMember {
  role: Role = 'secondary';
  term = 0;
  failovers = 0;
  splitBrainsSeen = 0;
  #opts: PairMemberOptions;
  #interval: Timer | null = null;
  #deadline: Timer | null = null;
  #deadlineGen = 0;
  #lastPeer: PairHeartbeat | null = null;
  #lastPeerAt: number | null = null;
  #lastPrimaryAt: number | null = null;
  #lastPrimaryPosition = 0;
  #yielding = false;

  constructor(opts: PairMemberOptions) {
    this.#opts = opts;
  }

  get peer(): { heartbeat: PairHeartbeat; ageMs: number } | null {
    if (!this.#lastPeer || this.#lastPeerAt === null) return null;
    return { heartbeat: this.#lastPeer, ageMs: this.#opts.clock.monotonic() - this.#lastPeerAt };
  }

  /** Every member starts as secondary and listens: a returning member rejoins without a fight. */
  start(): void {
    this.#interval = this.#opts.clock.setInterval(() => this.#sendHeartbeat(), this.#opts.heartbeatMs);
    this.#armDeadline();
    this.#sendHeartbeat();
  }

  stop(): void {
    this.#interval?.cancel();
    this.#deadline?.cancel();
    this.#deadlineGen++;
  }

  /** The member's input is dead (or back): a primary hands over to a healthy secondary. */
  setYielding(yielding: boolean): void {
    if (yielding === this.#yielding) return;
    this.#yielding = yielding;
    if (yielding && this.role === 'primary' && this.#lastPeer && !this.#lastPeer.yielding && this.#peerFresh()) {
      this.#become('secondary', 'yielded', this.#opts.position() + 1);
    }
    this.#sendHeartbeat();
  }

  onPeerHeartbeat(hb: PairHeartbeat): void {
    if (hb.id === this.#opts.id) return;
    const now = this.#opts.clock.monotonic();
    this.#lastPeer = hb;
    this.#lastPeerAt = now;
    if (hb.role === 'primary' && this.role === 'primary') this.#resolveSplitBrain(hb);
    this.term = Math.max(this.term, hb.term);
    if (hb.role === 'primary') {
      if (this.role === 'secondary') this.#heardPrimary(hb, now);
    } else if (this.role === 'secondary' && hb.yielding && !this.#yielding) {
      this.#takeOver('peer_yielded', hb.position + 1);
    }
  }

  #heardPrimary(hb: PairHeartbeat, now: number): void {
    this.#lastPrimaryAt = now;
    this.#lastPrimaryPosition = hb.position;
    this.#armDeadline();
    this.#opts.onPrimaryHeartbeat?.(hb.position);
  }

  /**
   * Two primaries: both sides apply the same total order, so exactly one steps down. The one
   * that keeps the lead re-announces under a term above the usurper's: desks follow the higher
   * term, so without it they would stay with the loser's stream until it fell silent.
   */
  #resolveSplitBrain(peer: PairHeartbeat): void {
    this.splitBrainsSeen++;
    if (outranks(peer, this.#self())) {
      this.#become('secondary', 'split_brain_lost', this.#opts.position() + 1);
      this.#heardPrimary(peer, this.#opts.clock.monotonic());
    } else if (peer.term >= this.term) {
      this.term = peer.term + 1;
      this.#become('primary', 'split_brain_won', this.#opts.position() + 1);
    }
    this.#sendHeartbeat();
  }

  #armDeadline(): void {
    this.#deadline?.cancel();
    const gen = ++this.#deadlineGen;
    const ms = this.#opts.heartbeatMs * this.#opts.missedHeartbeats;
    this.#deadline = this.#opts.clock.setTimeout(() => {
      if (this.#opts.defer) this.#opts.defer(() => gen === this.#deadlineGen && this.#onDeadline());
      else this.#onDeadline();
    }, ms);
  }

  #onDeadline(): void {
    if (this.role === 'primary') return;
    const peer = this.#lastPeer;
    // At startup both members are secondary: only the better-ranked one takes the lead.
    if (peer && peer.role === 'secondary' && this.#peerFresh() && !peer.yielding && outranks(peer, this.#self())) {
      this.#armDeadline();
      return;
    }
    const reason: RoleChangeReason = this.#lastPrimaryAt === null ? 'startup' : 'missed_heartbeats';
    const replayFrom = this.#lastPrimaryAt === null ? this.#opts.position() + 1 : this.#lastPrimaryPosition + 1;
    this.#takeOver(reason, replayFrom);
  }

  #takeOver(reason: RoleChangeReason, replayFrom: number): void {
    this.term += 1;
    if (reason !== 'startup') this.failovers++;
    this.#become('primary', reason, replayFrom);
  }

  #become(role: Role, reason: RoleChangeReason, replayFrom: number): void {
    this.role = role;
    if (role === 'secondary') this.#armDeadline();
    else {
      this.#deadline?.cancel();
      this.#deadlineGen++;
    }
    this.#opts.onRoleChange({ role, reason, term: this.term, replayFrom, lastPrimaryHeartbeatAt: this.#lastPrimaryAt });
    this.#sendHeartbeat();
  }

  #peerFresh(): boolean {
    const age = this.peer?.ageMs ?? Infinity;
    return age < this.#opts.heartbeatMs * this.#opts.missedHeartbeats;
  }

  #self(): PairHeartbeat {
    return {
      t: 'pair',
      id: this.#opts.id,
      rank: this.#opts.rank,
      role: this.role,
      term: this.term,
      startedUs: this.#opts.startedUs,
      sentUs: this.#opts.clock.nowUs(),
      position: this.#opts.position(),
      yielding: this.#yielding,
    };
  }

  #sendHeartbeat(): void {
    this.#opts.send(this.#self());
  }
}

/**
 * The split-brain order: higher term, then earlier start, then lower rank, then lower id.
 * Term first because the usurper of a false takeover (its primary stalled) is the healthy one:
 * it has served the desks since under the higher term they already follow, while the member
 * that stalled wakes behind, with a backlog to work off — keeping it made its heartbeats late
 * again, the peer took over again, and the pair flapped while replays fed the overload. A member
 * that (re)started and grabbed the lead without hearing its peer has term 1, never above a
 * long-running primary's; on equal terms the long-running one (earlier start) keeps the lead.
 */
export function outranks(a: PairHeartbeat, b: PairHeartbeat): boolean {
  if (a.term !== b.term) return a.term > b.term;
  if (a.startedUs !== b.startedUs) return a.startedUs < b.startedUs;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.id < b.id;
}
