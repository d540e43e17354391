/**
 * The disk health of each store (spool, journal, outbox, queue, offsets...): the one signal a
 * storage class gives when its disk fails (ENOSPC, EDQUOT, EIO) and when it works again.
 *
 * A store that cannot make something durable does not throw at its caller: it keeps what it
 * could not write in memory (bounded), stops acknowledging it, reports `failed()` here, and
 * retries on the Clock with backoff (`retry()`) until a write succeeds (`ok()`). `StateDisk`
 * joins the stores of one process into one host-level signal, which the composition turns into
 * an event (`state_disk.full` / `state_disk.failing`, then `state_disk.ok`), an alert and an
 * incident, and into metrics (errors by store and code, time degraded).
 */
import type { Clock, Timer } from './clock.js';
import { errorCode, isNoSpace } from './state-files.js';

export interface DiskFault {
  readonly store: string;
  /** The file or directory the failed call was about. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
  /** ENOSPC/EDQUOT: the disk is full; anything else (EIO, EROFS...): it is failing. */
  readonly full: boolean;
  readonly sinceMs: number;
}

export interface DiskHealthEvents {
  /** The store could not write (it was working until now). */
  onDiskError?(fault: DiskFault): void;
  /** The store writes again, after `degradedMs` of failing. */
  onDiskOk?(store: string, degradedMs: number): void;
  /** Every failed call, degrading or not (for the error counter). */
  onError?(store: string, code: string): void;
}

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;

export class DiskHealth {
  readonly store: string;
  readonly #clock: Clock;
  readonly #events: DiskHealthEvents;
  #fault: DiskFault | undefined;
  #degradedMs = 0;
  #retryTimer: Timer | undefined;
  #attempts = 0;
  #stopped = false;
  /** Failed calls by errno code. */
  readonly errors = new Map<string, number>();

  constructor(store: string, clock: Clock, events: DiskHealthEvents = {}) {
    this.store = store;
    this.#clock = clock;
    this.#events = events;
  }

  get failing(): boolean {
    return this.#fault !== undefined;
  }

  get fault(): DiskFault | undefined {
    return this.#fault;
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  /** Milliseconds spent failing, the current spell included. */
  degradedMs(): number {
    return this.#degradedMs + (this.#fault ? this.#clock.now() - this.#fault.sinceMs : 0);
  }

  /** A write the store needed failed: it is degraded until `ok()`. */
  failed(path: string, err: unknown): void {
    this.count(err);
    if (this.#fault) return;
    const code = errorCode(err);
    this.#fault = {
      store: this.store,
      path,
      code,
      message: (err as Error)?.message ?? String(err),
      full: isNoSpace(err),
      sinceMs: this.#clock.now(),
    };
    this.#events.onDiskError?.(this.#fault);
  }

  /** A failed call that does not degrade the store (a best-effort truncate or unlink): counted. */
  count(err: unknown): void {
    const code = errorCode(err);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    this.#events.onError?.(this.store, code);
  }

  /** The store's writes succeed again. */
  ok(): void {
    this.#attempts = 0;
    const fault = this.#fault;
    if (!fault) return;
    const ms = this.#clock.now() - fault.sinceMs;
    this.#degradedMs += ms;
    this.#fault = undefined;
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
    this.#events.onDiskOk?.(this.store, ms);
  }

  /** Runs `attempt` once after a backoff (100 ms doubling to 10 s); a no-op while one is pending. */
  retry(attempt: () => void): void {
    if (this.#retryTimer || this.#stopped) return;
    const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.min(this.#attempts, 10));
    this.#attempts++;
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      attempt();
    }, delay);
  }

  /** Cancels a pending retry (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
  }
}

export interface StateDiskEvents {
  /** The first store of the process failed (all were fine). */
  onDegraded?(fault: DiskFault): void;
  /** Every store works again; `degradedMs` since the first one failed. */
  onRecovered?(degradedMs: number): void;
  /** One store started or stopped failing (also called once, false, when it is added). */
  onStoreChange?(store: string, failing: boolean): void;
  onError?(store: string, code: string): void;
}

/** The stores of one process, on its state disk: degraded while any of them is. */
export class StateDisk {
  readonly #clock: Clock;
  readonly #events: StateDiskEvents;
  readonly #stores: DiskHealth[] = [];
  #since: number | undefined;
  #degradedMs = 0;

  constructor(clock: Clock, events: StateDiskEvents = {}) {
    this.#clock = clock;
    this.#events = events;
  }

  /** The health of one more store, reporting to this process-wide view. */
  health(store: string): DiskHealth {
    const h = new DiskHealth(store, this.#clock, {
      onDiskError: (fault) => {
        this.#events.onStoreChange?.(store, true);
        if (this.#since !== undefined) return;
        this.#since = fault.sinceMs;
        this.#events.onDegraded?.(fault);
      },
      onDiskOk: () => {
        this.#events.onStoreChange?.(store, false);
        if (this.#since === undefined || this.#stores.some((s) => s.failing)) return;
        const ms = this.#clock.now() - this.#since;
        this.#degradedMs += ms;
        this.#since = undefined;
        this.#events.onRecovered?.(ms);
      },
      onError: (s, code) => this.#events.onError?.(s, code),
    });
    this.#stores.push(h);
    this.#events.onStoreChange?.(store, false);
    return h;
  }

  get degraded(): boolean {
    return this.#since !== undefined;
  }

  get stores(): readonly DiskHealth[] {
    return this.#stores;
  }

  /** The first failing store's fault, if any. */
  get fault(): DiskFault | undefined {
    return this.#stores.find((s) => s.failing)?.fault;
  }

  /** Milliseconds with at least one store failing, the current spell included. */
  degradedMs(): number {
    return this.#degradedMs + (this.#since !== undefined ? this.#clock.now() - this.#since : 0);
  }

  stop(): void {
    for (const s of this.#stores) s.stop();
  }
}
