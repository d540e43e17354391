/**
 * The two ends of the plant's FIX 4.4 order session, on jspurefix (a maintained FIX engine on
 * npm, pure TypeScript): the engine does Logon, Heartbeat, TestRequest, ResendRequest,
 * SequenceReset and Logout itself; these classes add only the application and the faults.
 *
 * - RouterSession (initiator, the floor's order router): sends NewOrderSingle at the configured
 *   rate, and its own TestRequest every `test_request_ms` — the round trip production support
 *   watches (seed 001: "our sending time for a TestRequest to receipt of the Heartbeat").
 * - VenueSession (acceptor, a broker or venue gateway): answers each order with an
 *   ExecutionReport (new, then filled). Faults on command (plant/fix/venue-control.ts): answer
 *   TestRequests late, log the session out and refuse logons, lose inbound messages (the engine
 *   then sees the sequence gap and sends a ResendRequest; the router answers with a gap fill).
 *
 * Each side writes the engine's own message log: every message as encoded or received, one per
 * line, no prefix, jspurefix's `|` delimiter or SOH (`log_delimiter`).
 */
import 'reflect-metadata';
import { AsciiSession, MsgType, type IJsFixConfig, type IJsFixLogger, type MsgView } from 'jspurefix';

export interface VenueFaults {
  /** Heartbeats answering a TestRequest go this much later. */
  heartbeatDelayMs: number;
  /** Logons are refused (the session was logged out by the venue). */
  refuseLogon: boolean;
  /** Inbound messages to lose, one every this many ms (0: none). */
  loseEveryMs: number;
}

export const NO_FAULTS: VenueFaults = { heartbeatDelayMs: 0, refuseLogon: false, loseEveryMs: 0 };

export interface SessionCounts {
  sent: number;
  received: number;
  orders: number;
  executions: number;
  testRequests: number;
  lost: number;
}

abstract class PlantFixSession extends AsciiSession {
  readonly counts: SessionCounts = { sent: 0, received: 0, orders: 0, executions: 0, testRequests: 0, lost: 0 };
  readonly #messageLog: IJsFixLogger;
  #ready = false;
  #onReady: (() => void) | undefined;
  #onStopped: ((err?: Error) => void) | undefined;

  constructor(config: IJsFixConfig, messageLog: IJsFixLogger, hooks: { ready?: () => void; stopped?: (err?: Error) => void }) {
    super(config);
    this.#messageLog = messageLog;
    this.#onReady = hooks.ready;
    this.#onStopped = hooks.stopped;
  }

  get loggedOn(): boolean {
    return this.#ready;
  }

  /** Sends a Logout and ends the session (the engine's own done() sends none in some states). */
  logout(text: string): void {
    if (this.#ready) this.sendLogout(text);
    setTimeout(() => this.done(), 100);
  }

  protected onDecoded(_msgType: string, txt: string): void {
    this.counts.received++;
    this.#messageLog.info(txt);
  }

  protected onEncoded(_msgType: string, txt: string): void {
    this.counts.sent++;
    this.#messageLog.info(txt);
  }

  protected onReady(_view: MsgView): void {
    this.#ready = true;
    this.#onReady?.();
  }

  protected onStopped(err?: Error): void {
    this.#ready = false;
    this.#onStopped?.(err);
  }

  protected sendApp(msgType: string, body: Record<string, unknown>): void {
    if (this.#ready) this.send(msgType, body);
  }
}

export class RouterSession extends PlantFixSession {
  #orderId = 0;
  #probeId = 0;

  protected onLogon(): boolean {
    return true;
  }

  sendOrder(): void {
    const id = `ORD-${process.pid}-${++this.#orderId}`;
    this.counts.orders++;
    this.sendApp(MsgType.NewOrderSingle, {
      ClOrdID: id,
      HandlInst: '1',
      Instrument: { Symbol: 'EUR/USD' },
      Side: this.#orderId % 2 ? '1' : '2',
      TransactTime: new Date(),
      OrderQtyData: { OrderQty: 1_000_000 },
      OrdType: '2',
      Price: 1.0871,
    });
  }

  /** A TestRequest of our own: the latency probe. */
  sendProbe(): void {
    this.counts.testRequests++;
    this.sendApp(MsgType.TestRequest, { TestReqID: `PROBE-${++this.#probeId}` });
  }

  protected onApplicationMsg(msgType: string): void {
    if (msgType === MsgType.ExecutionReport) this.counts.executions++;
  }
}

export class VenueSession extends PlantFixSession {
  #execId = 0;
  #lastLossAt = 0;
  readonly #faults: () => VenueFaults;

  constructor(
    config: IJsFixConfig,
    messageLog: IJsFixLogger,
    faults: () => VenueFaults,
    hooks: { ready?: () => void; stopped?: (err?: Error) => void },
  ) {
    super(config, messageLog, hooks);
    this.#faults = faults;
  }

  protected onLogon(): boolean {
    return !this.#faults().refuseLogon;
  }

  /** Loses an inbound message now and then (drill fix-gap): the engine then sees a gap. */
  protected override onMsg(msgType: string, view: MsgView): void {
    const every = this.#faults().loseEveryMs;
    if (every > 0 && this.loggedOn && msgType !== MsgType.Logon && msgType !== MsgType.Logout && Date.now() - this.#lastLossAt >= every) {
      this.#lastLossAt = Date.now();
      this.counts.lost++;
      return;
    }
    super.onMsg(msgType, view);
  }

  /** TestRequests are answered late under the slowdown fault; everything else as the engine does. */
  protected override onSessionMsg(msgType: string, view: MsgView): void {
    const delay = this.#faults().heartbeatDelayMs;
    if (msgType === MsgType.TestRequest && delay > 0) {
      const id = view.getString(112);
      if (id) setTimeout(() => this.sendApp(MsgType.Heartbeat, { TestReqID: id }), delay);
      return;
    }
    super.onSessionMsg(msgType, view);
  }

  protected onApplicationMsg(msgType: string, view: MsgView): void {
    if (msgType !== MsgType.NewOrderSingle) return;
    const order = view.toObject() as {
      ClOrdID: string;
      Side: string;
      Instrument?: { Symbol?: string };
      OrderQtyData?: { OrderQty?: number };
      Price?: number;
    };
    const qty = order.OrderQtyData?.OrderQty ?? 0;
    const report = (execType: string, ordStatus: string, filled: number) => {
      this.counts.executions++;
      this.sendApp(MsgType.ExecutionReport, {
        OrderID: `V-${order.ClOrdID}`,
        ExecID: `X-${process.pid}-${++this.#execId}`,
        ExecType: execType,
        OrdStatus: ordStatus,
        Instrument: { Symbol: order.Instrument?.Symbol ?? '?' },
        Side: order.Side,
        LeavesQty: qty - filled,
        CumQty: filled,
        AvgPx: filled ? (order.Price ?? 0) : 0,
        ClOrdID: order.ClOrdID,
        ...(filled ? { LastPx: order.Price ?? 0, LastQty: filled } : {}),
      });
    };
    report('0', '0', 0);
    report('F', '2', qty);
  }
}
