/**
 * Starts a child (never through a shell), restarts it per policy, forwards signals to it, samples
 * its resource use every second and reports all of it. The child writes straight into the log
 * file (O_APPEND, shared fd), so its output costs the wrapper nothing and is never altered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { processStartTicks } from '../../lib/process-identity.js';
import type { LocalMessage } from '../local/protocol.js';
import { countOpenFds, cpuPercent, readRssBytes, readStat } from './proc-stats.js';
import { exitEvent, giveUpEvent, restartEvent, startEvent, usageSample } from './reports.js';
import { describeExit, exitStatusOf, type ChildExit, type RestartPolicy } from './restart-policy.js';

export interface Reporter {
  send(message: LocalMessage): void;
  readonly dropped: number;
}

export interface SuperviseOptions {
  name: string;
  command: string;
  args: readonly string[];
  policy: RestartPolicy;
  clock: Clock;
  logFile: string;
  reporter: Reporter;
  log: Logger;
  procRoot?: string;
  sampleIntervalMs?: number;
}

/** Signals that end supervision: forwarded, then the wrapper leaves with the child. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** The shell's code for "command not found", used when the child cannot be spawned at all. */
const SPAWN_FAILED_CODE = 127;

export class Supervisor {
  readonly #o: Required<SuperviseOptions>;
  readonly done: Promise<number>;
  #resolveDone!: (status: number) => void;
  #child: ChildProcess | undefined;
  #childStartMs = 0;
  #lastCpu = { ticks: 0, atMs: 0 };
  #restarts = 0;
  #stopRequested = false;
  #finished = false;
  #lastExit: ChildExit = { code: 0, signal: null, uptimeMs: 0 };
  #restartTimer: Timer | undefined;
  #sampleTimer: Timer | undefined;
  #logFd = -1;

  constructor(options: SuperviseOptions) {
    this.#o = { procRoot: '/proc', sampleIntervalMs: 1000, ...options };
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  get restarts(): number {
    return this.#restarts;
  }

  start(): void {
    this.#logFd = openSync(this.#o.logFile, 'a', 0o640);
    this.#sampleTimer = this.#o.clock.setInterval(() => this.#sample(), this.#o.sampleIntervalMs);
    this.#spawn();
  }

  /** A signal the wrapper received: passed to the child; SIGTERM/SIGINT also end supervision. */
  signal(sig: NodeJS.Signals): void {
    if (STOP_SIGNALS.includes(sig)) {
      this.#stopRequested = true;
      if (this.#restartTimer) {
        this.#restartTimer.cancel();
        this.#restartTimer = undefined;
        this.#finish(this.#lastExit);
        return;
      }
    }
    if (this.#child?.pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill(sig);
    }
  }

  #spawn(): void {
    this.#restartTimer = undefined;
    const child = spawn(this.#o.command, [...this.#o.args], { stdio: ['ignore', this.#logFd, this.#logFd], detached: true });
    this.#child = child;
    this.#childStartMs = this.#o.clock.monotonic();
    this.#lastCpu = { ticks: 0, atMs: this.#childStartMs };
    let spawned = false;
    // Read at spawn, while the child surely lives: its exit event needs it after /proc forgot it.
    let childStartTicks: number | undefined;
    child.once('spawn', () => {
      spawned = true;
      const argv = [this.#o.command, ...this.#o.args];
      childStartTicks = processStartTicks(child.pid!);
      this.#o.reporter.send(startEvent(this.#o.name, this.#o.clock.nowUs(), child.pid!, argv, this.#restarts, childStartTicks));
      this.#o.log.info({ component: 'wrapper', process: this.#o.name, pid: child.pid }, 'child started');
    });
    child.once('error', (err) => {
      if (spawned) return this.#o.log.warn({ component: 'wrapper', err: err.message }, 'signalling the child failed');
      this.#onExit(child, { code: SPAWN_FAILED_CODE, signal: null, uptimeMs: 0 }, `cannot start ${this.#o.command}: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      const uptimeMs = this.#o.clock.monotonic() - this.#childStartMs;
      this.#onExit(child, { code, signal, uptimeMs }, describeExit({ code, signal }), childStartTicks);
    });
  }

  #onExit(child: ChildProcess, exit: ChildExit, what: string, startTicks?: number): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#lastExit = exit;
    const { name, clock, reporter, policy, log } = this.#o;
    reporter.send(exitEvent(name, clock.nowUs(), child.pid, exit, what, this.#stopRequested, startTicks));
    log.info({ component: 'wrapper', process: name, pid: child.pid, reason: what }, 'child exited');
    if (this.#stopRequested) return this.#finish(exit);
    const decision = policy.decide(exit);
    if (decision.action === 'stop') return this.#finish(exit);
    if (decision.action === 'give-up') {
      reporter.send(giveUpEvent(name, clock.nowUs(), decision.reason, this.#restarts));
      log.error({ component: 'wrapper', process: name, reason: decision.reason }, 'crash loop: giving up');
      return this.#finish(exit);
    }
    reporter.send(restartEvent(name, clock.nowUs(), what, decision.attempt, decision.delayMs, this.#restarts + 1));
    this.#restartTimer = clock.setTimeout(() => {
      this.#restarts++;
      this.#spawn();
    }, decision.delayMs);
  }

  #sample(): void {
    const child = this.#child;
    if (child?.pid === undefined) return;
    const { procRoot, clock } = this.#o;
    const stat = readStat(procRoot, child.pid);
    const rssBytes = readRssBytes(procRoot, child.pid);
    const fds = countOpenFds(procRoot, child.pid);
    if (!stat || rssBytes === undefined || fds === undefined) return;
    const nowMs = clock.monotonic();
    const cpu = cpuPercent(this.#lastCpu.ticks, this.#lastCpu.atMs, stat.cpuTicks, nowMs);
    this.#lastCpu = { ticks: stat.cpuTicks, atMs: nowMs };
    this.#o.reporter.send(
      usageSample(this.#o.name, clock.nowUs(), {
        cpuPercent: cpu,
        rssBytes,
        threads: stat.threads,
        fds,
        uptimeS: (nowMs - this.#childStartMs) / 1000,
        restarts: this.#restarts,
        reportsDropped: this.#o.reporter.dropped,
      }),
    );
  }

  #finish(exit: ChildExit): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#sampleTimer?.cancel();
    closeSync(this.#logFd);
    this.#resolveDone(exitStatusOf(exit));
  }
}
