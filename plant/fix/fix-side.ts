/**
 * One end of the plant's FIX session as a plant component (`floorwatch plant fix-venue` /
 * `fix-router`, each under `floorwatch run` in the demo). The venue listens and answers drill
 * commands on its UDP control port; the router connects, trades, probes, and reconnects
 * `reconnect_ms` after its session ends (a logout, a lost connection, a refused logon).
 */
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Socket } from 'node:dgram';
import {
  JsFixWinstonLogFactory,
  SessionLauncher,
  WinstonLogger,
  type IJsFixConfig,
  type IJsFixLogger,
  type ISessionDescription,
} from 'jspurefix';
import type { Logger } from '../../lib/log.js';
import type { FixPairConfig, PlantConfig } from '../config.js';
import { bindUdp } from '../net/udp.js';
import type { Component } from '../components/runtime.js';
import { NO_FAULTS, RouterSession, VenueSession, type SessionCounts, type VenueFaults } from './fix-sessions.js';

const SOH = 1;
const PIPE = 124;
/** One engine message log file grows to this before the engine starts its next (jsfix.<id>1.txt). */
const MESSAGE_LOG_MAX_BYTES = 256 * 1024 * 1024;

export type FixRole = 'venue' | 'router';

/** `<log_dir>/jsfix.<id>.txt`: where a side's engine writes its message log. */
export function messageLogPath(cfg: FixPairConfig, role: FixRole): string {
  return join(resolve(cfg.log_dir), `jsfix.${cfg[role].id}.txt`);
}

class Launcher extends SessionLauncher {
  constructor(
    description: ISessionDescription,
    private readonly makeSession: (c: IJsFixConfig) => RouterSession | VenueSession,
    logFactory: JsFixWinstonLogFactory,
  ) {
    super(
      description.application?.type === 'initiator' ? description : null,
      description.application?.type === 'acceptor' ? description : null,
      logFactory,
    );
  }
  protected override makeFactory() {
    return { makeSession: (c: IJsFixConfig) => this.makeSession(c) };
  }
}

export class FixSide implements Component {
  readonly id: string;
  readonly #role: FixRole;
  readonly #cfg: PlantConfig;
  readonly #log: Logger;
  readonly #engineLog = new JsFixWinstonLogFactory(WinstonLogger.consoleOptions('warn'));
  #messageLog: IJsFixLogger | undefined;
  #faults: VenueFaults = { ...NO_FAULTS };
  readonly #sessions = new Set<RouterSession | VenueSession>();
  readonly #totals: SessionCounts = { sent: 0, received: 0, orders: 0, executions: 0, testRequests: 0, lost: 0 };
  #logons = 0;
  #launcher: Launcher | undefined;
  #control: Socket | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;

  constructor(o: { cfg: PlantConfig; role: FixRole; log: Logger }) {
    this.#role = o.role;
    this.#cfg = o.cfg;
    this.#log = o.log;
    this.id = o.cfg.fix[o.role].id;
  }

  async start(): Promise<void> {
    const fix = this.#cfg.fix;
    mkdirSync(resolve(fix.log_dir), { recursive: true });
    this.#messageLog = this.#engineLog.plain(messageLogPath(fix, this.#role), MESSAGE_LOG_MAX_BYTES);
    if (this.#role === 'venue') {
      this.#control = await bindUdp(fix.control_port, this.#cfg.host, 65536);
      this.#control.on('message', (buf, rinfo) => this.#command(buf, rinfo.address, rinfo.port));
      this.#launcher = new Launcher(
        this.#description(),
        (c) => this.#track(new VenueSession(this.#withDelimiter(c), this.#messageLog!, () => this.#faults, this.#hooks())),
        this.#engineLog,
      );
      void this.#launcher.run().catch((err: Error) => this.#log.error({ err }, 'FIX acceptor failed'));
    } else {
      void this.#connectLoop();
      if (fix.orders_per_s > 0) this.#every(1000 / fix.orders_per_s, (s) => s.sendOrder());
      if (fix.test_request_ms > 0) this.#every(fix.test_request_ms, (s) => s.sendProbe());
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sessions) s.logout(`${this.id} stopping`);
    // A moment for the Logout to be written and confirmed.
    await new Promise((r) => setTimeout(r, 200));
    this.#launcher?.stop();
    await new Promise<void>((r) => (this.#control ? this.#control.close(() => r()) : r()));
  }

  summary(): Record<string, unknown> {
    const totals = { ...this.#totals };
    for (const s of this.#sessions) for (const k of Object.keys(totals) as (keyof SessionCounts)[]) totals[k] += s.counts[k];
    return { role: this.#role, logons: this.#logons, ...totals, faults: this.#faults };
  }

  async #connectLoop(): Promise<void> {
    while (!this.#stopping) {
      this.#launcher = new Launcher(
        this.#description(),
        (c) => this.#track(new RouterSession(this.#withDelimiter(c), this.#messageLog!, this.#hooks())),
        this.#engineLog,
      );
      await this.#launcher.run().catch((err: Error) => this.#log.warn({ err: err.message }, 'FIX session ended'));
      if (!this.#stopping) await new Promise((r) => setTimeout(r, this.#cfg.fix.reconnect_ms));
    }
  }

  #every(ms: number, fn: (s: RouterSession) => void): void {
    this.#timers.push(
      setInterval(() => {
        for (const s of this.#sessions) if (s instanceof RouterSession && s.loggedOn) fn(s);
      }, ms),
    );
  }

  #track<T extends RouterSession | VenueSession>(session: T): T {
    this.#sessions.add(session);
    return session;
  }

  #hooks(): { ready: () => void; stopped: () => void } {
    return {
      ready: () => void this.#logons++,
      stopped: () => {
        // Keep the counts of sessions that ended.
        for (const s of [...this.#sessions]) {
          if (s.loggedOn) continue;
          for (const k of Object.keys(this.#totals) as (keyof SessionCounts)[]) this.#totals[k] += s.counts[k];
          this.#sessions.delete(s);
        }
      },
    };
  }

  #withDelimiter(c: IJsFixConfig): IJsFixConfig {
    c.logDelimiter = this.#cfg.fix.log_delimiter[this.#role] === 'soh' ? SOH : PIPE;
    return c;
  }

  #description(): ISessionDescription {
    const fix = this.#cfg.fix;
    const [me, peer] = this.#role === 'venue' ? [fix.venue, fix.router] : [fix.router, fix.venue];
    return {
      application: {
        type: this.#role === 'venue' ? 'acceptor' : 'initiator',
        name: me.id,
        reconnectSeconds: Math.max(1, Math.round(fix.reconnect_ms / 1000)),
        tcp: { host: this.#cfg.host, port: fix.port },
        protocol: 'ascii',
        dictionary: 'qf44',
      },
      Username: me.id,
      Password: me.id,
      EncryptMethod: 0,
      // A new sequence each logon (a daily session reset): a reconnect is not a gap.
      ResetSeqNumFlag: true,
      HeartBtInt: fix.heartbeat_s,
      SenderCompId: me.comp_id,
      TargetCompID: peer.comp_id,
      BeginString: 'FIX.4.4',
    } as unknown as ISessionDescription;
  }

  /** Drill commands: {cmd: slow, ms} | {cmd: logout} | {cmd: gap, every_ms} | {cmd: normal}; answers with the faults now in force. */
  #command(buf: Buffer, host: string, port: number): void {
    let msg: { cmd?: string; ms?: number; every_ms?: number };
    try {
      msg = JSON.parse(buf.toString('utf8')) as typeof msg;
    } catch {
      return;
    }
    const f = this.#faults;
    switch (msg.cmd) {
      case 'slow':
        f.heartbeatDelayMs = Math.max(0, Number(msg.ms ?? 200));
        break;
      case 'logout':
        f.refuseLogon = true;
        for (const s of this.#sessions) s.logout('session closed by the venue');
        break;
      case 'gap':
        f.loseEveryMs = Math.max(100, Number(msg.every_ms ?? 2000));
        break;
      case 'normal':
        this.#faults = { ...NO_FAULTS };
        break;
      case 'status':
        break;
      default:
        this.#control?.send(JSON.stringify({ ok: false, error: `unknown command ${String(msg.cmd)}` }), port, host);
        return;
    }
    this.#log.warn({ cmd: msg.cmd, faults: this.#faults }, 'FIX venue command');
    this.#control?.send(JSON.stringify({ ok: true, faults: this.#faults, ...this.summary() }), port, host);
  }
}
