/**
 * Where each tailed file stands, saved under the agent's state directory at each batch seal
 * (emit.atSeal), so it must be cheap: two slot files, kept open, written in place, each with a
 * generation, the batch seq it goes with, and a checksum. (Temp file + rename cost ~0.5 ms a
 * save; an in-place write ~20 µs.)
 *
 * A save is tagged with the seq of the batch that holds the samples of every line it covers, and
 * is written just BEFORE that batch is queued. So on load a slot counts only if its seq is in the
 * agent's disk queue (queuedSeq): a SIGKILL between the two writes finds the seq missing and
 * falls back to the other slot, whose batch is queued. A save therefore never overwrites the
 * newest slot whose batch is queued. A torn slot (power loss) fails its checksum, and the other
 * slot wins likewise.
 */
import { closeSync, fsyncSync, ftruncateSync, readFileSync, writeSync } from 'node:fs';
import { ensureStateDir, OPEN, openStateFile } from '../../../lib/state-files.js';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Identity } from './fingerprint.js';

export interface Cursor {
  id: Identity;
  /** Bytes of the (uncompressed) file consumed: the end of the last line handed to emit. */
  offset: number;
  /** Inside an overlong line whose head was already emitted. */
  skipping: boolean;
}

interface StateFile {
  /** 1: before seqs (always trusted), 2: with `seq`. */
  version: 1 | 2;
  generation: number;
  /** The batch holding the samples of every line these cursors cover. */
  seq?: number;
  files: Record<string, Cursor[]>;
}

interface SlotState {
  generation: number;
  seq: number;
}

export class OffsetStore {
  readonly path: string;
  readonly #fsync: boolean;
  readonly #queuedSeq: () => number;
  readonly #slots: [string, string];
  #fds: [number, number] | undefined;
  #files: Record<string, Cursor[]> = {};
  #generation = 0;
  /** What each slot holds (undefined: nothing valid), to pick the one a save may overwrite. */
  readonly #held: [SlotState | undefined, SlotState | undefined] = [undefined, undefined];
  /** Bytes in each slot file; unknown (Infinity) until written once, so the first save truncates. */
  readonly #slotBytes = [Infinity, Infinity];
  saves = 0;
  /** Set by load() when the saved offsets are ahead of the queue (see there). */
  problem: string | undefined;

  /** `queuedSeq`: the newest batch seq in the agent's disk queue (default: every seq counts as queued). */
  constructor(stateDir: string, fsync: boolean, queuedSeq: () => number = () => Infinity) {
    ensureStateDir(stateDir);
    this.path = join(stateDir, 'log-offsets');
    this.#slots = [`${this.path}.a`, `${this.path}.b`];
    this.#fsync = fsync;
    this.#queuedSeq = queuedSeq;
  }

  /**
   * Saved cursors by tailed path, from the newest slot whose batch is queued. Missing slots are an
   * empty state, two corrupt ones an error. When both are ahead of the queue (a power loss took
   * the queue's unsynced tail, or the queue was deleted), the one nearest the queue's end is used
   * and `problem` says which lines went with the queue.
   */
  load(): Map<string, Cursor[]> {
    const states = this.#slots.map(readSlot);
    const queued = this.#queuedSeq();
    states.forEach((s, i) => (this.#held[i] = typeof s === 'object' ? { generation: s.generation, seq: s.seq ?? 0 } : undefined));
    const parsed = states.filter((s): s is StateFile => typeof s === 'object');
    for (const s of parsed) this.#generation = Math.max(this.#generation, s.generation);
    if (parsed.length === 0) {
      if (states.includes('corrupt')) throw new Error(`${this.path}.a/.b: both slots are corrupt`);
      return new Map();
    }
    const valid = parsed.filter((s) => (s.seq ?? 0) <= queued);
    let use: StateFile;
    if (valid.length > 0) {
      use = valid.reduce((a, b) => (b.generation > a.generation ? b : a));
    } else {
      use = parsed.reduce((a, b) => ((b.seq ?? 0) < (a.seq ?? 0) ? b : a));
      this.problem = `${this.path}: saved for batch ${use.seq}, but the agent's queue ends at ${queued}: the lines of the batches in between were lost with the queue`;
    }
    this.#files = use.files;
    // A slot ahead of the queue is overwritten now: its seq will be reused by the next batch, and
    // must not then make its cursors (of lines whose batch was never queued) look valid.
    if (valid.length < parsed.length) this.save(queued);
    return new Map(Object.entries(use.files));
  }

  set(path: string, cursors: Cursor[]): void {
    this.#files[path] = cursors.map((c) => ({ id: { ...c.id }, offset: c.offset, skipping: c.skipping }));
  }

  /** Writes the cursors set so far, for batch `seq` (see the file comment). */
  save(seq: number, forceFsync = false): void {
    this.#fds ??= [openSlot(this.#slots[0]), openSlot(this.#slots[1])];
    this.#generation++;
    const body = JSON.stringify({ version: 2, generation: this.#generation, seq, files: this.#files } satisfies StateFile);
    const text = Buffer.from(`${crc32(body).toString(16).padStart(8, '0')} ${body}\n`);
    const slot = this.#writableSlot();
    const fd = this.#fds[slot]!;
    this.#held[slot] = undefined; // while it is being overwritten
    writeSync(fd, text, 0, text.length, 0);
    // Only a shorter text leaves stale bytes behind it (offsets mostly grow): skip the metadata write otherwise.
    if (text.length < this.#slotBytes[slot]!) ftruncateSync(fd, text.length);
    this.#slotBytes[slot] = text.length;
    this.#held[slot] = { generation: this.#generation, seq };
    if (this.#fsync || forceFsync) fsyncSync(fd);
    this.saves++;
  }

  close(): void {
    if (this.#fds) for (const fd of this.#fds) closeSync(fd);
    this.#fds = undefined;
  }

  /** The slot not holding the newest save whose batch is queued: that one is what a crash falls back to. */
  #writableSlot(): number {
    const queued = this.#queuedSeq();
    const [a, b] = this.#held.map((h) => (h && h.seq <= queued ? h.generation : -1)) as [number, number];
    if (a < 0 && b < 0) return this.#generation % 2;
    return a > b ? 1 : 0;
  }
}

/** Opened for in-place writes at offset 0 (append would force every write to the end), 0600. */
function openSlot(file: string): number {
  return openStateFile(file, OPEN.readWrite);
}

function readSlot(file: string): StateFile | 'corrupt' | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  const space = text.indexOf(' ');
  const body = text.slice(space + 1).replace(/\n$/, '');
  if (space !== 8 || parseInt(text.slice(0, 8), 16) !== crc32(body)) return 'corrupt';
  try {
    const parsed = JSON.parse(body) as StateFile;
    return (parsed.version === 1 || parsed.version === 2) && typeof parsed.files === 'object' ? parsed : 'corrupt';
  } catch {
    return 'corrupt';
  }
}
