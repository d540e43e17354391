/**
 * The one interface every sampler implements (Telegraf's Input + Accumulator).
 *
 * - A polled Sampler is called by the agent on its interval; it never schedules itself.
 * - An EventSampler also pushes at once what polling cannot deliver in time (link down, bond
 *   fail-over, process exit, log lines): the brain must know within 250 ms (issue #3).
 * - A failure on one interface/file/process goes to emit.error() and the sampler carries on.
 * - /proc and /sys are read through an injected root so tests can run on fixture trees.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';

export type Tags = Record<string, string>;

export interface EventInput {
  tags?: Tags;
  /** Text attributes; the agent caps each at 1 KiB. */
  attrs?: Record<string, string>;
  values?: Record<string, number>;
  /** 0 info, 1 warning, 2 minor, 3 major, 4 critical (proto Severity). */
  severity?: 0 | 1 | 2 | 3 | 4;
  timeUs?: number;
}

export interface Emit {
  /** A value at an instant (bytes dirty, link speed, CPU %). */
  gauge(measurement: string, field: string, value: number, tags?: Tags, timeUs?: number): void;
  /** A monotonically increasing count since its source started (rx_bytes, carrier_changes). */
  counter(measurement: string, field: string, value: number, tags?: Tags, timeUs?: number): void;
  /** A discrete happening; sent to the brain at once, not at the next flush. */
  event(kind: string, input?: EventInput): void;
  /** A non-fatal problem of this sampler (counted, logged once per distinct message). */
  error(err: Error): void;
  /**
   * Emits what `fn` emits as one unit: a batch that fills up meanwhile is sealed right after `fn`,
   * never inside it. A sampler that moves its source position past some input and then emits what
   * that input makes (a log read: every rule runs over all its lines) so never has a batch sealed
   * between the two. A batch can exceed max_batch_samples by one unit. Absent: `fn()` as is.
   */
  unit?(fn: () => void): void;
  /**
   * Runs `fn(seq)` at the next seal, just before the batch holding everything emitted so far is
   * written to the agent's disk queue; `seq` is that batch's seq (the last queued seq when the
   * seal has nothing new). A sampler saves its source position (a log offset) there, tagged with
   * `seq`, and after a crash trusts a saved position only if `seq` reached the queue
   * (SamplerDeps.queuedSeq): a position and the samples of what it covers are durable together or
   * not at all, whatever instant a SIGKILL hits. Absent (no queue): run at once with seq 0.
   */
  atSeal?(fn: (seq: number) => void): void;
}

export interface Sampler {
  readonly name: string;
  /** Polled path: read the source, emit what was read. Must not throw for a per-item failure. */
  sample(emit: Emit): void | Promise<void>;
}

export interface EventSampler extends Sampler {
  /** Begins pushing events (watchers, sockets). Resolves once watching. */
  start(emit: Emit): void | Promise<void>;
  /** Stops watching and releases every handle; called once, at shutdown. */
  stop(): void | Promise<void>;
}

export function isEventSampler(s: Sampler): s is EventSampler {
  return typeof (s as EventSampler).start === 'function';
}

/** What every sampler factory receives besides its own config section. */
export interface SamplerDeps {
  clock: Clock;
  log: Logger;
  /** Root of /proc (default "/proc"); tests point it at a fixture tree. */
  procRoot: string;
  /** Root of /sys (default "/sys"). */
  sysRoot: string;
  /** The agent's state directory (offsets, queue), private to this agent. */
  stateDir: string;
  /** The seq of the newest batch in the agent's disk queue, acknowledged or not (0: none). Absent: no queue. */
  queuedSeq?: () => number;
  /** A sampler has a burst of work ahead (a log backlog): the agent lets V8 optimise now. Absent: nothing. */
  busy?: () => void;
  /**
   * True while the agent's queue holds batches its disk would not take (a full state disk):
   * samplers whose input waits (log files: the lines stay on disk) read nothing new, so the bounded
   * hold buffer never has to drop their samples. Absent: never.
   */
  readPaused?: () => boolean;
}
