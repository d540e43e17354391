/**
 * FIX session health from the messages of an engine's log (pure: the time is passed in).
 *
 * A session is the pair of CompIDs, named `LOCAL/REMOTE` when the rule knows which CompIDs are
 * ours (`localCompIds`), else the two in lexical order. Per session:
 * - logged on or not: up once both sides' Logon were seen, or on any other message; down on a
 *   Logout (either side), or after 2 × HeartBtInt + tolerance of silence (the peer's engine
 *   would have sent a TestRequest and dropped the line by then); unknown until then (a log
 *   read from its end, mid-session, says nothing about the state yet). After a Logout only a
 *   Logon exchange brings the session up again: the messages still in flight between the
 *   Logout and the disconnect (an order and its ExecutionReports) are not a session that came
 *   back, and taking them for one made a logged-out session flap down, up and down again
 *   (two incidents for one logout, #19). A session down by silence comes up on any message
 *   from the peer (it was stalled, not logged out).
 * - heartbeat kept or missed: no message from the peer (from either side when direction is
 *   unknown) within HeartBtInt + tolerance while logged on.
 * - TestRequest (35=1) → Heartbeat (35=0) with the same TestReqID (112): the round trip, from
 *   the engine's log times (its prefix: send time of ours, receipt time of theirs), else the
 *   SendingTimes (52) of both. With `localCompIds`, only our TestRequests count.
 * - counts: messages by MsgType and direction, logons, logouts, resend requests, gap fills,
 *   sequence resets, rejects, possible duplicates.
 */
import { PendingTable } from '../pending.js';
import type { FixLine } from './fix-line.js';

export type SessionState = 'unknown' | 'up' | 'down';

export interface SessionCounts {
  messages: number;
  logons: number;
  logouts: number;
  heartbeats: number;
  test_requests: number;
  resend_requests: number;
  gap_fills: number;
  sequence_resets: number;
  rejects: number;
  possdup: number;
  rtt_pairs: number;
}

export interface FixSession {
  readonly name: string;
  state: SessionState;
  heartBtIntS: number;
  /** Monotonic ms of the last message from the peer (either side when direction is unknown). */
  lastHeardMs: number;
  late: boolean;
  readonly counts: SessionCounts;
  /** Senders whose Logon was seen since the session was last down. */
  readonly logonsFrom: Set<string>;
  /** Down by a Logout: only a Logon exchange brings it up (not messages still in flight). */
  loggedOut: boolean;
}

export interface SessionListener {
  state(s: FixSession, reason: string): void;
  heartbeat(s: FixSession, late: boolean, silentMs: number): void;
  roundTrip(s: FixSession, rttUs: number, atUs: number): void;
  message(s: FixSession, m: FixLine, direction: 'in' | 'out' | 'unknown'): void;
}

export interface SessionOptions {
  localCompIds: readonly string[];
  defaultHeartBtIntS: number;
  heartbeatToleranceMs: number;
  maxSessions: number;
  maxPending: number;
  timeoutMs: number;
}

export class FixSessions {
  readonly #o: SessionOptions;
  readonly #local: Set<string>;
  readonly #l: SessionListener;
  readonly #sessions = new Map<string, FixSession>();
  readonly #pending: PendingTable;
  dropped = 0;

  constructor(o: SessionOptions, listener: SessionListener) {
    this.#o = o;
    this.#local = new Set(o.localCompIds);
    this.#l = listener;
    this.#pending = new PendingTable(o.maxPending, o.timeoutMs);
  }

  get sessions(): Iterable<FixSession> {
    return this.#sessions.values();
  }

  get rttExpired(): number {
    return this.#pending.expired + this.#pending.evicted;
  }

  /** One message, read at monotonic `nowMs`. */
  observe(m: FixLine, nowMs: number): void {
    const s = this.#session(m);
    if (!s) return;
    const direction = this.#local.size === 0 ? 'unknown' : this.#local.has(m.sender) ? 'out' : 'in';
    // Silence is counted from when the session was last seen coming up, at the earliest.
    if (s.state !== 'up') s.lastHeardMs = Math.max(s.lastHeardMs, nowMs);
    if (direction !== 'out') {
      s.lastHeardMs = nowMs;
      if (s.late) this.#late(s, false, 0);
    }
    const c = s.counts;
    c.messages++;
    if (m.possDup) c.possdup++;
    this.#l.message(s, m, direction);
    switch (m.msgType) {
      case 'A':
        c.logons++;
        if (m.heartBtInt && m.heartBtInt > 0) s.heartBtIntS = m.heartBtInt;
        s.logonsFrom.add(m.sender);
        if (s.logonsFrom.size >= 2) this.#to(s, 'up', 'logged on');
        return;
      case '5':
        c.logouts++;
        s.logonsFrom.clear();
        s.loggedOut = true;
        this.#to(s, 'down', `Logout from ${m.sender}${m.text ? `: ${m.text}` : ''}`);
        return;
      case '0':
        c.heartbeats++;
        if (m.testReqId !== undefined) this.#answer(s, m, nowMs);
        break;
      case '1':
        c.test_requests++;
        if (m.testReqId !== undefined && direction !== 'in') this.#pending.add(`${s.name}\0${m.sender}\0${m.testReqId}`, m.timeUs, nowMs);
        break;
      case '2':
        c.resend_requests++;
        break;
      case '4':
        if (m.gapFill) c.gap_fills++;
        else c.sequence_resets++;
        break;
      case '3':
      case 'j':
        c.rejects++;
        break;
    }
    if (!s.loggedOut) this.#to(s, 'up', 'messages flowing');
  }

  /** The time-driven part: heartbeats overdue, a session silent long enough to be down. */
  check(nowMs: number): void {
    this.#pending.expire(nowMs);
    for (const s of this.#sessions.values()) {
      if (s.state !== 'up') continue;
      const silentMs = nowMs - s.lastHeardMs;
      const intervalMs = s.heartBtIntS * 1000;
      if (silentMs > 2 * intervalMs + this.#o.heartbeatToleranceMs) {
        this.#to(s, 'down', `no message for ${Math.round(silentMs / 1000)} s (HeartBtInt ${s.heartBtIntS} s)`);
      } else if (!s.late && silentMs > intervalMs + this.#o.heartbeatToleranceMs) {
        this.#late(s, true, silentMs);
      }
    }
  }

  #answer(s: FixSession, m: FixLine, nowMs: number): void {
    // The answer comes from the TestRequest's target: the request was keyed by its sender.
    const startUs = this.#pending.take(`${s.name}\0${m.target}\0${m.testReqId}`, nowMs);
    if (startUs === undefined || !Number.isFinite(startUs) || !Number.isFinite(m.timeUs)) return;
    s.counts.rtt_pairs++;
    this.#l.roundTrip(s, m.timeUs - startUs, m.timeUs);
  }

  #to(s: FixSession, state: SessionState, reason: string): void {
    if (state === 'up') s.loggedOut = false;
    if (s.state === state) return;
    s.state = state;
    if (s.late) this.#late(s, false, 0);
    if (state === 'down') s.logonsFrom.clear();
    this.#l.state(s, reason);
  }

  #late(s: FixSession, late: boolean, silentMs: number): void {
    s.late = late;
    this.#l.heartbeat(s, late, silentMs);
  }

  #session(m: FixLine): FixSession | undefined {
    const name = this.#name(m.sender, m.target);
    let s = this.#sessions.get(name);
    if (s) return s;
    if (this.#sessions.size >= this.#o.maxSessions) {
      this.dropped++;
      return undefined;
    }
    s = {
      name,
      state: 'unknown',
      heartBtIntS: this.#o.defaultHeartBtIntS,
      lastHeardMs: 0,
      late: false,
      logonsFrom: new Set(),
      loggedOut: false,
      counts: {
        messages: 0,
        logons: 0,
        logouts: 0,
        heartbeats: 0,
        test_requests: 0,
        resend_requests: 0,
        gap_fills: 0,
        sequence_resets: 0,
        rejects: 0,
        possdup: 0,
        rtt_pairs: 0,
      },
    };
    this.#sessions.set(name, s);
    return s;
  }

  #name(sender: string, target: string): string {
    if (this.#local.has(sender)) return `${sender}/${target}`;
    if (this.#local.has(target)) return `${target}/${sender}`;
    return sender < target ? `${sender}/${target}` : `${target}/${sender}`;
  }
}
