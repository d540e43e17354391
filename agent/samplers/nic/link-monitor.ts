/**
 * Link changes pushed by the kernel (rtnetlink, through `ip -o monitor link`) instead of
 * polling sysfs 20 times a second: an idle agent then wakes only when a link really changes.
 * Each line from `ip` only says "look now"; the sampler re-reads sysfs, which stays the one
 * source of truth. If `ip` cannot run or dies, the caller falls back to polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Clock, Timer } from '../../../lib/clock.js';

export class LinkMonitor {
  #child: ChildProcess | undefined;
  #restart: Timer | undefined;
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onChange: () => void,
    private readonly onDown: (reason: string) => void,
  ) {}

  start(): void {
    const child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', () => this.onChange());
    child.once('error', (err) => this.#lost(`ip monitor failed: ${err.message}`));
    child.once('exit', (code, signal) => this.#lost(`ip monitor exited (${signal ?? code})`));
  }

  stop(): void {
    this.#stopped = true;
    this.#restart?.cancel();
    this.#child?.kill();
    this.#child = undefined;
  }

  #lost(reason: string): void {
    if (this.#stopped || !this.#child) return;
    this.#child = undefined;
    this.onDown(reason);
    // Try again later; the caller polls meanwhile.
    this.#restart = this.clock.setTimeout(() => this.#stopped || this.start(), 5000);
  }
}
