/**
 * When a supervised child is restarted, after how long, and when the wrapper gives up.
 * Pure decisions (no timers): the supervisor schedules them on its Clock, so the whole schedule
 * is testable on a FakeClock.
 */
import { constants } from 'node:os';

export type RestartMode = 'never' | 'on-failure' | 'always';
export const RESTART_MODES: readonly RestartMode[] = ['never', 'on-failure', 'always'];

export interface RestartPolicyOptions {
  mode: RestartMode;
  /** Consecutive restarts allowed before giving up; a stable run resets the count. */
  maxRestarts: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A child up at least this long was healthy: its failure starts a fresh backoff series. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  mode: 'on-failure',
  maxRestarts: 10,
  backoffMinMs: 500,
  backoffMaxMs: 30_000,
  stableAfterMs: 60_000,
};

export interface ChildExit {
  /** Exit code, or null when a signal ended the child. */
  code: number | null;
  signal: NodeJS.Signals | null;
  uptimeMs: number;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number; reason: string }
  | { action: 'stop'; reason: string }
  | { action: 'give-up'; reason: string; attempts: number };

export class RestartPolicy {
  readonly options: RestartPolicyOptions;
  #consecutive = 0;

  constructor(options: RestartPolicyOptions) {
    if (options.backoffMinMs < 0 || options.backoffMaxMs < options.backoffMinMs) {
      throw new Error('backoff must satisfy 0 <= min <= max');
    }
    if (!Number.isInteger(options.maxRestarts) || options.maxRestarts < 0) throw new Error('max restarts must be an integer >= 0');
    this.options = options;
  }

  /** Restarts in the current series (reset by a stable run). */
  get consecutiveRestarts(): number {
    return this.#consecutive;
  }

  decide(exit: ChildExit): RestartDecision {
    const what = describeExit(exit);
    const failed = exit.code !== 0;
    if (this.options.mode === 'never') return { action: 'stop', reason: `${what}; restart policy is never` };
    if (this.options.mode === 'on-failure' && !failed) return { action: 'stop', reason: `${what}; clean exit is not restarted` };
    if (exit.uptimeMs >= this.options.stableAfterMs) this.#consecutive = 0;
    if (this.#consecutive >= this.options.maxRestarts) {
      return {
        action: 'give-up',
        attempts: this.#consecutive,
        reason: `${what}; gave up after ${this.#consecutive} consecutive restarts (max ${this.options.maxRestarts})`,
      };
    }
    this.#consecutive++;
    return { action: 'restart', attempt: this.#consecutive, delayMs: this.backoffFor(this.#consecutive), reason: what };
  }

  /** Exponential: min, 2·min, 4·min, … capped at max. */
  backoffFor(attempt: number): number {
    const { backoffMinMs: min, backoffMaxMs: max } = this.options;
    return Math.min(max, min * 2 ** Math.min(attempt - 1, 52));
  }
}

export function describeExit(exit: Pick<ChildExit, 'code' | 'signal'>): string {
  return exit.signal ? `killed by signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

/** The shell convention the wrapper's own exit code follows: 128 + signal number. */
export function exitStatusOf(exit: Pick<ChildExit, 'code' | 'signal'>): number {
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return exit.code ?? 1;
}
