/**
 * How each wrapped process last exited ("signal 9", "exit code 1"), from the agents'
 * `process.exit` events: the ProcessExited alert carries only agent, host and process, and
 * the root cause must say "feed handler fh-a exited (signal 9)". Bounded; evictions counted.
 */
import type { BrainEvent } from '../state/event-log.js';

const MAX_ENTRIES = 10_000;

export class ExitDetails {
  readonly #byProcess = new Map<string, string>();
  evicted = 0;

  /** Records a process.exit event; returns what it learned, if anything. */
  record(e: BrainEvent): { agent: string; process: string; detail: string } | undefined {
    const process = e.tags['process'];
    if (!process) return undefined;
    const sig = e.values['signal'];
    const detail =
      sig !== undefined && sig > 0
        ? `signal ${sig}`
        : e.attrs['signal']
          ? `signal ${e.attrs['signal']}`
          : e.attrs['exit_code'] !== undefined
            ? `exit code ${e.attrs['exit_code']}`
            : undefined;
    if (!detail) return undefined;
    const key = `${e.agentId}/${process}`;
    this.#byProcess.delete(key);
    this.#byProcess.set(key, detail);
    if (this.#byProcess.size > MAX_ENTRIES) {
      const oldest = this.#byProcess.keys().next().value;
      if (oldest !== undefined) this.#byProcess.delete(oldest);
      this.evicted++;
    }
    return { agent: e.agentId, process, detail };
  }

  get(agent: string, process: string): string | undefined {
    return this.#byProcess.get(`${agent}/${process}`);
  }
}
