/**
 * The whole monitor down (#16 item 4): both brains of the pair unheard. Nobody is paged by the
 * brains then — they are what is down — so the witness, the third machine that hears both,
 * pages a fixed pager (the team's group pager, `pair.witness_page`) once when both have been
 * unheard for `after_ms`, and once more when one is heard again. A page that fails is tried again
 * at the next check until it goes. Transport-free: the witness command wires heard ages and an
 * SNPP send (brain/channels/snpp.ts) into it.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { SendResult } from '../channels/channel.js';

export interface MonitorDownOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** The brains' member ids. */
  readonly brains: readonly string[];
  /** Milliseconds since a brain was last heard; undefined: never heard. */
  readonly heardMsAgo: (id: string) => number | undefined;
  readonly afterMs: number;
  /** Sends one pager message; never throws. */
  readonly page: (text: string) => Promise<SendResult>;
  readonly checkEveryMs?: number;
}

type State = 'up' | 'down';

export class MonitorDownWatch {
  readonly #o: MonitorDownOptions;
  readonly #startedAt: number;
  #state: State = 'up';
  /** A page owed for the last change of state (sent once, retried until it goes). */
  #owed: string | undefined;
  #sending = false;
  #timer: Timer | undefined;
  pagesSent = 0;
  pageFailures = 0;

  constructor(o: MonitorDownOptions) {
    this.#o = o;
    this.#startedAt = o.clock.monotonic();
  }

  start(): void {
    this.#timer = this.#o.clock.setInterval(() => void this.check(), this.#o.checkEveryMs ?? 1000);
  }

  stop(): void {
    this.#timer?.cancel();
  }

  get state(): State {
    return this.#state;
  }

  /** One look at the brains; pages on a change of state (exposed for tests on a fake clock). */
  async check(): Promise<void> {
    const silentFor = Math.min(...this.#o.brains.map((id) => this.#silentMs(id)));
    const wall = new Date(this.#o.clock.now()).toISOString().slice(11, 19);
    if (this.#state === 'up' && silentFor >= this.#o.afterMs) {
      this.#state = 'down';
      // Short: pager gateways refuse long messages (hfaxd: 128 characters).
      this.#owed = `FLOORWATCH DOWN: ${this.#o.brains.join(', ')} unheard ${Math.round(silentFor / 1000)}s at ${wall} UTC; floor unmonitored`;
      this.#o.log.error({ brains: this.#o.brains, silent_ms: Math.round(silentFor) }, 'both brains unheard: paging the monitor down');
    } else if (this.#state === 'down' && silentFor < this.#o.afterMs) {
      this.#state = 'up';
      this.#owed = `FLOORWATCH BACK: a brain of ${this.#o.brains.join(', ')} heard again at ${wall} UTC`;
      this.#o.log.warn({ brains: this.#o.brains }, 'a brain is heard again');
    }
    await this.#sendOwed();
  }

  #silentMs(id: string): number {
    return this.#o.heardMsAgo(id) ?? this.#o.clock.monotonic() - this.#startedAt;
  }

  async #sendOwed(): Promise<void> {
    const text = this.#owed;
    if (text === undefined || this.#sending) return;
    this.#sending = true;
    try {
      const r = await this.#o.page(text);
      if (r.status === 'sent') {
        if (this.#owed === text) this.#owed = undefined;
        this.pagesSent++;
      } else {
        this.pageFailures++;
        this.#o.log.warn({ reason: r.reason, error: r.error.message }, 'monitor-down page failed; trying again');
      }
    } finally {
      this.#sending = false;
    }
  }
}
