/**
 * The agent's disk queue behind a bounded hold buffer: what the batcher seals into (issue #13,
 * item 7, the agent's half).
 *
 * While the disk takes writes this is the DiskQueue itself. When an append fails (ENOSPC,
 * EDQUOT, EIO: a full or failing state disk) the batch is HELD in memory, in seq order, and so is
 * every batch sealed after it; the queue's DiskHealth reports the fault (the agent tells the
 * brain: `state_disk.full`), and the held batches are appended again on the Clock with backoff
 * (100 ms doubling to 10 s) until one goes through; then all of them are written, in order, and
 * the health is ok again (`state_disk.ok`).
 *
 * A held batch is never sent: the shipper sends only what the disk queue holds. That is the
 * exactly-once contract of log offsets (agent/samplers/log/offsets.ts): a saved position counts
 * after a crash only if its batch seq is in the queue (`DiskQueue.nextSeq`), and the seq of a
 * held batch is not, so a crash while batches are held re-reads their lines instead of losing
 * them, and the brain never stored them.
 *
 * Bounded: once `maxBytes` of payload or `maxBatches` batches are held, a new batch is dropped
 * before it gets a seq (so seqs stay gapless and `cumulativeSamples` counts only what was kept)
 * and counted in `holdDroppedBatches`/`holdDroppedSamples`, which the agent exports on its own
 * `agent` measurement (queue_hold_dropped_batches/_samples) and adds to the dropped counts every
 * batch tells the brain (SampleBatch.dropped_batches/_samples, with the disk queue's own drops at
 * its byte bound). The bound may be passed by one batch.
 */
import type { Clock } from '../../lib/clock.js';
import type { DiskHealth } from '../../lib/disk-health.js';
import { errorCode } from '../../lib/state-files.js';
import type { Logger } from '../../lib/log.js';
import type { DiskQueue } from './disk-queue.js';

/** Default bounds of the hold buffer (config queue.hold_max_bytes / queue.hold_max_batches). */
export const HOLD_MAX_BYTES = 16 * 1024 * 1024;
export const HOLD_MAX_BATCHES = 20_000;

export interface HoldingQueueOptions {
  clock: Clock;
  log: Logger;
  queue: DiskQueue;
  /** The queue's store health (shared with the DiskQueue, part of the agent's StateDisk). */
  health: DiskHealth;
  maxBytes?: number;
  maxBatches?: number;
  /** Held batches were written: the shipper can send them. */
  onDurable?: () => void;
}

interface Held {
  seq: number;
  cumulativeSamples: number;
  samples: number;
  payload: Uint8Array;
}

export interface HoldStats {
  heldBatches: number;
  heldBytes: number;
  droppedBatches: number;
  droppedSamples: number;
}

export class HoldingQueue {
  readonly #o: HoldingQueueOptions;
  readonly #maxBytes: number;
  readonly #maxBatches: number;
  #held: Held[] = [];
  #heldBytes = 0;
  #dropping = false;
  #stopped = false;
  holdDroppedBatches = 0;
  holdDroppedSamples = 0;

  constructor(opts: HoldingQueueOptions) {
    this.#o = opts;
    this.#maxBytes = opts.maxBytes ?? HOLD_MAX_BYTES;
    this.#maxBatches = opts.maxBatches ?? HOLD_MAX_BATCHES;
  }

  /** The next seq to give out (held batches included). */
  get nextSeq(): number {
    const last = this.#held[this.#held.length - 1];
    return last ? last.seq + 1 : this.#o.queue.nextSeq;
  }

  /** Batches lost, as every batch tells the brain: at the disk queue's byte bound, or here. */
  get droppedBatches(): number {
    return this.#o.queue.droppedBatches + this.holdDroppedBatches;
  }
  get droppedSamples(): number {
    return this.#o.queue.droppedSamples + this.holdDroppedSamples;
  }

  get heldBatches(): number {
    return this.#held.length;
  }

  stats(): HoldStats {
    return {
      heldBatches: this.#held.length,
      heldBytes: this.#heldBytes,
      droppedBatches: this.holdDroppedBatches,
      droppedSamples: this.holdDroppedSamples,
    };
  }

  /**
   * The seq and cumulative count for a batch of `samples`, or undefined when the hold buffer is
   * full: the batch is then dropped, and counted here.
   */
  reserve(samples: number): { seq: number; cumulativeSamples: number } | undefined {
    const last = this.#held[this.#held.length - 1];
    if (!last) return this.#o.queue.reserve(samples);
    if (this.#heldBytes >= this.#maxBytes || this.#held.length >= this.#maxBatches) {
      this.holdDroppedBatches++;
      this.holdDroppedSamples += samples;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#o.log.error(
          { held_batches: this.#held.length, held_bytes: this.#heldBytes },
          'queue disk full and hold buffer full: dropping new batches (counted) until the disk takes writes',
        );
      }
      return undefined;
    }
    return { seq: last.seq + 1, cumulativeSamples: last.cumulativeSamples + samples };
  }

  /** Queues the batch on disk, or holds it (a held batch is written later, in order). */
  append(seq: number, cumulativeSamples: number, samples: number, payload: Uint8Array): void {
    if (this.#held.length === 0) {
      try {
        this.#o.queue.append(seq, cumulativeSamples, samples, payload);
        this.#o.health.ok();
        return;
      } catch (err) {
        this.#hold({ seq, cumulativeSamples, samples, payload });
        return this.#failed(err);
      }
    }
    this.#hold({ seq, cumulativeSamples, samples, payload });
  }

  /** No more retries (shutdown); what is still held is lost with the process. */
  stop(): void {
    this.#stopped = true;
  }

  #hold(h: Held): void {
    this.#held.push(h);
    this.#heldBytes += h.payload.length;
  }

  #failed(err: unknown): void {
    // Only an errno error is the disk; anything else is a bug and stays one.
    if (errorCode(err) === 'UNKNOWN') throw err;
    const first = !this.#o.health.failing;
    this.#o.health.failed(this.#o.queue.dir, err);
    if (first) {
      this.#o.log.error(
        { store: 'queue', path: this.#o.queue.dir, code: errorCode(err), err: (err as Error).message },
        'queue disk full or failing: holding sealed batches in memory (not sent until written), retrying',
      );
    }
    if (!this.#stopped) this.#o.health.retry(() => this.#retry());
  }

  /** Writes the held batches in order; stops at the first failure and retries later. */
  #retry(): void {
    let written = 0;
    try {
      for (const h of this.#held) {
        this.#o.queue.append(h.seq, h.cumulativeSamples, h.samples, h.payload);
        this.#heldBytes -= h.payload.length;
        written++;
      }
    } catch (err) {
      this.#held = this.#held.slice(written);
      if (written > 0) this.#o.onDurable?.();
      return this.#failed(err);
    }
    this.#held = [];
    this.#dropping = false;
    this.#o.health.ok();
    this.#o.log.info({ written, dropped_batches: this.holdDroppedBatches }, 'queue disk writes again: held batches written');
    this.#o.onDurable?.();
  }
}
