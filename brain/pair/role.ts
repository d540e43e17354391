/**
 * The brain pair's role state machine: two brains and a witness, each a *voter*; a brain may also
 * be *primary*, and only the primary pages. Transport-free and clock-driven (every transition is
 * table-tested on a FakeClock, test/brain/pair/role.test.ts); brain/pair/node.ts puts it on UDP.
 *
 * Roles are held by leases granted by a majority (2 of 3), the way etcd/Raft leaders and
 * client-go leases are, with the plant pair's terms (plant/pair/pair-member.ts) as the ordering:
 *
 * - A voter grants *one* holder per term and promises it `leaseMs` from the moment the request
 *   arrived (its own monotonic clock): until then it grants nobody else, whatever the term.
 *   A refusal changes nothing at the voter (a failed campaign does not depose anyone).
 * - The primary renews every `heartbeatMs`: a heartbeat is a lease request for its term. It holds
 *   the lease until `sentAt + leaseMs × (1 − margin)` of the last heartbeat that a majority
 *   (itself included) granted. Sent-time, not ack-time: the voters' promises run from a later
 *   instant, so the primary's lease ends before any voter's promise does (clock *rate* error up
 *   to `margin` tolerated, as in client-go; offsets do not matter, nothing compares clocks).
 * - A secondary that has not granted a primary heartbeat for `missed × heartbeatMs` campaigns
 *   for term+1; a majority of grants makes it primary. Because every voter of that majority had
 *   let its promise to the old primary lapse, and any two majorities of three share a voter, the
 *   old primary's lease has ended before the new one begins: never two primaries *acting* at once
 *   (a stall between the lease check and the socket write is the residual window, documented).
 * - Link between the brains cut, witness sees both: the witness keeps renewing the primary, so
 *   the secondary's campaign fails (1 vote of 3) and nothing changes: one primary throughout.
 * - Primary cut from both, or SIGSTOPped: its lease lapses on its own monotonic clock before the
 *   others can elect; on waking it checks the lease before it acts, and steps down on the first
 *   refusal of a higher term.
 * - Hand-over (`floorwatch brain handover`): the primary steps down first, then tells the voters
 *   to release its promise and the secondary to campaign at once.
 */
import type { Clock, Timer } from '../../lib/clock.js';

export type Role = 'primary' | 'secondary' | 'witness';

export type RoleReason = 'startup' | 'elected' | 'lease_lost' | 'higher_term' | 'handover' | 'stopped';

export type PairMessage =
  /** From every brain to the others, every heartbeat. A primary's is also a lease request (renewal). */
  | { t: 'hb'; from: string; term: number; role: Role; seq: number; peerSeen?: boolean }
  /** A voter's answer to a primary's heartbeat: granted (ok) or refused with the voter's term. */
  | { t: 'ack'; from: string; term: number; seq: number; ok: boolean }
  /** A candidate asks for a vote for `term`. */
  /** `synced`: the term of the primary whose state the candidate holds (see `syncedTerm`). */
  | { t: 'vote'; from: string; term: number; seq: number; synced: number }
  | { t: 'grant'; from: string; term: number; seq: number; ok: boolean }
  /** The primary stepped down on purpose: release its promise; the peer campaigns at once. */
  | { t: 'yield'; from: string; term: number };

export interface RoleChange {
  readonly role: Role;
  readonly term: number;
  readonly reason: RoleReason;
  /** Monotonic ms of the event. */
  readonly mono: number;
  /** Leaving primary: when the lease actually ended (monotonic ms); a stalled primary logs late. */
  readonly leaseEndedMono?: number;
}

export interface RoleMachineOptions {
  readonly id: string;
  /** Brains campaign; a witness only votes. */
  readonly kind: 'brain' | 'witness';
  /** The other voters' ids (a brain: the peer brain and the witness; a witness: both brains). */
  readonly others: readonly string[];
  readonly clock: Clock;
  readonly heartbeatMs: number;
  /** Heartbeats a secondary misses before it campaigns (≥ 2). */
  readonly missedHeartbeats: number;
  /** Lower ranks campaign first at start-up (fewer split votes). */
  readonly rank: number;
  readonly send: (to: string, msg: PairMessage) => void;
  readonly onRole?: (change: RoleChange) => void;
  /** Fraction of the lease the primary gives up against clock-rate error (default 0.1). */
  readonly margin?: number;
  /**
   * The term of the last primary whose journal and outbox this brain holds (its own term while
   * primary; the primary's while it follows it, caught up). A voter refuses a candidate whose
   * state is older than the last primary it renewed: a brain restarted and not yet caught up
   * must not lead, or it would page again what the primary it missed had paged.
   */
  readonly syncedTerm?: () => number;
  /**
   * The voter's state as last saved (a restarted witness): it grants nobody a term it may
   * already have granted, nor a candidate older than the last primary it renewed, and keeps any
   * promise it may have given before it stopped for one more lease from now.
   */
  readonly voterState?: VoterState;
  /**
   * Makes a change of the voter's term, holder or last primary term durable, before the answer
   * that depends on it is sent; false when it could not (the grant is then refused).
   */
  readonly saveVoter?: (state: VoterState) => boolean;
}

/** What a voter must remember across a restart (brain/pair/voter-file.ts keeps it on disk). */
export interface VoterState {
  readonly term: number;
  readonly holder?: string;
  readonly lastPrimaryTerm: number;
}

interface Voter {
  term: number;
  holder: string | undefined;
  promiseUntil: number;
  /** The highest term this voter renewed a primary's lease at. */
  lastPrimaryTerm: number;
}

export class RoleMachine {
  readonly #o: RoleMachineOptions;
  role: Role;
  term = 0;
  readonly #voter: Voter = { term: 0, holder: undefined, promiseUntil: -Infinity, lastPrimaryTerm: 0 };
  /** Primary: the lease end (monotonic) of the last majority-granted heartbeat. */
  #leaseUntil = -Infinity;
  #seq = 0;
  /** seq → send time and grants, for the last few heartbeats or the current campaign. */
  readonly #pending = new Map<number, { sentAt: number; term: number; grants: Set<string>; kind: 'hb' | 'vote' }>();
  /** Monotonic ms of the last heartbeat (any role) heard from each other node. */
  readonly #lastHeard = new Map<string, { at: number; role: Role; term: number }>();
  /** Monotonic ms a primary's lease request was last granted here (the secondary's "primary heard"). */
  #lastPrimaryGranted = -Infinity;
  #startedAt: number;
  #tick: Timer | undefined;
  #campaignTimer: Timer | undefined;
  #stopped = false;
  readonly #leaseMs: number;

  constructor(o: RoleMachineOptions) {
    if (o.missedHeartbeats < 2) throw new Error('missedHeartbeats must be at least 2');
    this.#o = o;
    this.role = o.kind === 'witness' ? 'witness' : 'secondary';
    this.#leaseMs = o.heartbeatMs * o.missedHeartbeats;
    this.#startedAt = o.clock.monotonic();
    const saved = o.voterState;
    if (saved) {
      Object.assign(this.#voter, { term: saved.term, holder: saved.holder, lastPrimaryTerm: saved.lastPrimaryTerm });
      this.#voter.promiseUntil = this.#startedAt + this.#leaseMs;
      this.term = saved.term;
    }
  }

  /** The voters' promise length: a primary's lease (less the margin), a secondary's patience. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  start(): void {
    this.#startedAt = this.#o.clock.monotonic();
    this.#o.onRole?.({ role: this.role, term: this.term, reason: 'startup', mono: this.#startedAt });
    this.#tick = this.#o.clock.setInterval(() => this.#onTick(), this.#o.heartbeatMs);
    this.#armDeadline(this.#startedAt + this.#o.rank * this.#o.heartbeatMs);
    this.#onTick();
  }

  stop(): void {
    this.#stopped = true;
    this.#tick?.cancel();
    this.#campaignTimer?.cancel();
    if (this.role === 'primary') this.#become('secondary', 'stopped', Math.min(this.#leaseUntil, this.#o.clock.monotonic()));
  }

  /** True only while this brain is primary and its lease holds on the monotonic clock now. */
  mayAct(): boolean {
    return this.role === 'primary' && this.#o.clock.monotonic() < this.#leaseUntil;
  }

  /** Monotonic ms until the lease ends (negative: lapsed); -Infinity when not primary. */
  leaseLeftMs(): number {
    return this.role === 'primary' ? this.#leaseUntil - this.#o.clock.monotonic() : -Infinity;
  }

  /** What this node last heard of another (age in ms, its role and term). */
  heard(id: string): { ageMs: number; role: Role; term: number } | undefined {
    const h = this.#lastHeard.get(id);
    return h && { ageMs: this.#o.clock.monotonic() - h.at, role: h.role, term: h.term };
  }

  /** Fresh: heard within the lease length. */
  fresh(id: string): boolean {
    const h = this.heard(id);
    return h !== undefined && h.ageMs < this.#leaseMs;
  }

  /** The node believed primary now: self, or the holder of the freshest primary heartbeat. */
  primaryId(): string | undefined {
    if (this.role === 'primary') return this.#o.id;
    let best: { id: string; term: number } | undefined;
    for (const [id, h] of this.#lastHeard) {
      if (h.role === 'primary' && this.fresh(id) && (!best || h.term > best.term)) best = { id, term: h.term };
    }
    return best?.id;
  }

  /**
   * Steps down on purpose (upgrades): only when a peer brain is fresh to take over. The lease
   * stops at once, then the voters are told to release their promise and the peer to campaign.
   */
  handover(): { ok: boolean; why?: string } {
    if (this.role !== 'primary') return { ok: false, why: `not primary (${this.role})` };
    const peer = this.#o.others.find((id) => this.#lastHeard.get(id)?.role === 'secondary' && this.fresh(id));
    if (!peer) return { ok: false, why: 'no fresh secondary brain to hand over to' };
    this.#leaseUntil = -Infinity;
    this.#become('secondary', 'handover', this.#o.clock.monotonic());
    // Our own voter releases too, and does not campaign before the peer has had its chance.
    this.#voter.promiseUntil = -Infinity;
    this.#armDeadline(this.#o.clock.monotonic());
    for (const id of this.#o.others) this.#o.send(id, { t: 'yield', from: this.#o.id, term: this.term });
    return { ok: true };
  }

  receive(msg: PairMessage): void {
    if (this.#stopped) return;
    const now = this.#o.clock.monotonic();
    switch (msg.t) {
      case 'hb': {
        this.#lastHeard.set(msg.from, { at: now, role: msg.role, term: msg.term });
        if (msg.role !== 'primary') return;
        const ok = this.#grant(msg.from, msg.term, now) && this.#renewedPrimary(msg.term);
        if (ok) this.#lastPrimaryGranted = now;
        if (this.role === 'secondary') this.#armDeadline(now);
        this.#o.send(msg.from, { t: 'ack', from: this.#o.id, term: this.#voter.term, seq: msg.seq, ok });
        // Our own promise to ourselves had lapsed, so had our lease: the other one leads.
        if (ok && this.role === 'primary' && msg.from !== this.#o.id) this.#stepDown(msg.term);
        return;
      }
      case 'vote': {
        const ok = (msg.synced ?? 0) >= this.#voter.lastPrimaryTerm && this.#grant(msg.from, msg.term, now);
        this.#o.send(msg.from, { t: 'grant', from: this.#o.id, term: this.#voter.term, seq: msg.seq, ok });
        if (ok && this.role === 'primary' && msg.from !== this.#o.id) this.#stepDown(msg.term);
        return;
      }
      case 'ack':
      case 'grant': {
        const h = this.#lastHeard.get(msg.from);
        if (h) h.at = now;
        else this.#lastHeard.set(msg.from, { at: now, role: 'witness', term: msg.term });
        return this.#onAnswer(msg.from, msg.seq, msg.ok, msg.term, now);
      }
      case 'yield': {
        if (this.#voter.holder === msg.from && this.#voter.term === msg.term) this.#voter.promiseUntil = -Infinity;
        const h = this.#lastHeard.get(msg.from);
        if (h) h.role = 'secondary';
        if (this.#o.kind === 'brain' && this.role === 'secondary') this.#campaign();
        return;
      }
    }
  }

  /** The voter's rule: one holder per term, no one else while a promise is live. */
  #grant(candidate: string, term: number, now: number): boolean {
    const v = this.#voter;
    if (term < v.term) return false;
    if (v.holder !== candidate && (term === v.term || now < v.promiseUntil)) return false;
    if ((term !== v.term || candidate !== v.holder) && !this.#save({ term, holder: candidate, lastPrimaryTerm: v.lastPrimaryTerm }))
      return false;
    v.term = term;
    v.holder = candidate;
    v.promiseUntil = now + this.#leaseMs;
    this.term = Math.max(this.term, term);
    return true;
  }

  /** A primary's lease renewed at `term`: remembered (durably) as the newest state a candidate must hold. */
  #renewedPrimary(term: number): boolean {
    const v = this.#voter;
    if (term <= v.lastPrimaryTerm) return true;
    // Not saved: the grant stands (its term and holder are durable), only the stricter check is lost.
    this.#save({ term: v.term, ...(v.holder !== undefined ? { holder: v.holder } : {}), lastPrimaryTerm: term });
    v.lastPrimaryTerm = term;
    return true;
  }

  #save(state: VoterState): boolean {
    return this.#o.saveVoter ? this.#o.saveVoter(state) : true;
  }

  #onAnswer(from: string, seq: number, ok: boolean, term: number, now: number): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    if (!ok) {
      // A voter bound to a higher term (a failed campaign of the peer's, say during a link cut).
      // While we hold a majority nobody can have won that term (majorities of three overlap), so
      // the primary renews under a term above it: that voter grants again. Without a majority
      // the lease lapses on the tick, as always.
      if (term > this.term && this.role === 'primary' && p.kind === 'hb') this.term = term + 1;
      return;
    }
    p.grants.add(from);
    if (p.grants.size < 2) return;
    const until = p.sentAt + this.#leaseMs * (1 - (this.#o.margin ?? 0.1));
    if (p.kind === 'vote' && this.role === 'secondary' && p.term === this.#voter.term && this.#voter.holder === this.#o.id) {
      this.term = p.term;
      this.#leaseUntil = until;
      this.#become('primary', 'elected');
      this.#sendHeartbeats(now);
    } else if (p.kind === 'hb' && this.role === 'primary') {
      // Any term of ours: a grant is a promise to us from the voter's receipt, whatever came after.
      this.#leaseUntil = Math.max(this.#leaseUntil, until);
    }
  }

  #stepDown(term: number): void {
    this.term = Math.max(this.term, term);
    const ended = Math.min(this.#leaseUntil, this.#o.clock.monotonic());
    this.#leaseUntil = -Infinity;
    this.#become('secondary', 'higher_term', ended);
  }

  #onTick(): void {
    const now = this.#o.clock.monotonic();
    for (const [seq, p] of this.#pending) if (now - p.sentAt > this.#leaseMs * 2) this.#pending.delete(seq);
    if (this.role === 'primary' && now >= this.#leaseUntil && this.#leaseUntil !== -Infinity) {
      const ended = this.#leaseUntil;
      this.#leaseUntil = -Infinity;
      this.#become('secondary', 'lease_lost', ended);
    }
    this.#sendHeartbeats(now);
  }

  #sendHeartbeats(now: number): void {
    const seq = ++this.#seq;
    const msg: PairMessage = { t: 'hb', from: this.#o.id, term: this.term, role: this.role, seq };
    if (this.role === 'primary') {
      const self = this.#grant(this.#o.id, this.term, now) && this.#renewedPrimary(this.term);
      this.#pending.set(seq, { sentAt: now, term: this.term, grants: new Set(self ? [this.#o.id] : []), kind: 'hb' });
      if (!self) return this.#stepDown(this.#voter.term);
    }
    for (const id of this.#o.others) this.#o.send(id, msg);
  }

  /** The secondary's patience: campaign `missed × heartbeat` after the last primary heard. */
  #armDeadline(fromMs: number): void {
    if (this.#o.kind === 'witness' || this.#stopped) return;
    this.#campaignTimer?.cancel();
    const patience = this.#o.heartbeatMs * this.#o.missedHeartbeats;
    const due = fromMs + patience - this.#o.clock.monotonic();
    this.#campaignTimer = this.#o.clock.setTimeout(() => this.#onDeadline(0), Math.max(0, due));
  }

  #onDeadline(attempt = 0): void {
    if (this.role !== 'secondary' || this.#stopped) return;
    const heard = this.#lastPrimaryHeard();
    // A timer may fire a little early, or a primary was heard meanwhile: wait out the patience.
    if (this.#o.clock.monotonic() - heard < this.#o.heartbeatMs * this.#o.missedHeartbeats) return this.#armDeadline(heard);
    this.#campaign();
    // Again soon until elected or a primary is heard (the old primary's promises lapse about
    // now); after a few refusals (a link cut: the witness holds with the primary) at the
    // heartbeat's pace, so the terms do not race.
    const soon = Math.max(1, Math.round(this.#o.heartbeatMs / 10) * (1 + this.#o.rank));
    this.#campaignTimer = this.#o.clock.setTimeout(() => this.#onDeadline(attempt + 1), attempt < 5 ? soon : this.#o.heartbeatMs);
  }

  /** When a primary's heartbeat was last heard (granted or not), or this node started (its rank's wait included). */
  #lastPrimaryHeard(): number {
    let at = Math.max(this.#lastPrimaryGranted, this.#startedAt + this.#o.rank * this.#o.heartbeatMs);
    for (const h of this.#lastHeard.values()) if (h.role === 'primary') at = Math.max(at, h.at);
    return at;
  }

  #campaign(): void {
    if (this.role !== 'secondary') return;
    const now = this.#o.clock.monotonic();
    const term = Math.max(this.term, this.#voter.term) + 1;
    const synced = this.#o.syncedTerm?.() ?? Infinity;
    // Our own voter: not while still promised to the old primary, nor with older state than it had.
    if (synced < this.#voter.lastPrimaryTerm || !this.#grant(this.#o.id, term, now)) return;
    const seq = ++this.#seq;
    this.#pending.set(seq, { sentAt: now, term, grants: new Set([this.#o.id]), kind: 'vote' });
    for (const id of this.#o.others)
      this.#o.send(id, { t: 'vote', from: this.#o.id, term, seq, synced: Number.isFinite(synced) ? synced : Number.MAX_SAFE_INTEGER });
  }

  #become(role: Role, reason: RoleReason, leaseEndedMono?: number): void {
    if (role === this.role) return;
    this.role = role;
    this.#pending.clear();
    if (role === 'secondary') this.#armDeadline(this.#o.clock.monotonic());
    else this.#campaignTimer?.cancel();
    this.#o.onRole?.({
      role,
      term: this.term,
      reason,
      mono: this.#o.clock.monotonic(),
      ...(leaseEndedMono !== undefined && Number.isFinite(leaseEndedMono) ? { leaseEndedMono } : {}),
    });
  }
}
