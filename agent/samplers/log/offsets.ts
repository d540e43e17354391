/**
 * Where each tailed file stands, saved under the agent's state directory, only with offsets of
 * lines already handed to emit. Saved after every read, so it must be cheap: two slot files,
 * kept open, written in place alternately, each with a generation and a checksum. A torn or
 * half-written slot (power loss) fails its checksum and the other slot, one save older, wins.
 * (Temp file + rename cost ~0.5 ms a save; an in-place write ~20 µs.)
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
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
  version: 1;
  generation: number;
  files: Record<string, Cursor[]>;
}

export class OffsetStore {
  readonly path: string;
  readonly #fsync: boolean;
  readonly #slots: [string, string];
  #fds: [number, number] | undefined;
  #files: Record<string, Cursor[]> = {};
  #generation = 0;
  /** Bytes in each slot file; unknown (Infinity) until written once, so the first save truncates. */
  readonly #slotBytes = [Infinity, Infinity];
  saves = 0;

  constructor(stateDir: string, fsync: boolean) {
    mkdirSync(stateDir, { recursive: true });
    this.path = join(stateDir, 'log-offsets');
    this.#slots = [`${this.path}.a`, `${this.path}.b`];
    this.#fsync = fsync;
  }

  /** Saved cursors by tailed path; missing slots are an empty state, two corrupt ones an error. */
  load(): Map<string, Cursor[]> {
    const states = this.#slots.map(readSlot);
    const valid = states.filter((s): s is StateFile => s !== undefined && s !== 'corrupt');
    if (valid.length === 0) {
      if (states.includes('corrupt')) throw new Error(`${this.path}.a/.b: both slots are corrupt`);
      return new Map();
    }
    const newest = valid.reduce((a, b) => (b.generation > a.generation ? b : a));
    this.#files = newest.files;
    this.#generation = newest.generation;
    return new Map(Object.entries(newest.files));
  }

  set(path: string, cursors: Cursor[]): void {
    this.#files[path] = cursors.map((c) => ({ id: { ...c.id }, offset: c.offset, skipping: c.skipping }));
  }

  save(forceFsync = false): void {
    this.#fds ??= [openSlot(this.#slots[0]), openSlot(this.#slots[1])];
    this.#generation++;
    const body = JSON.stringify({ version: 1, generation: this.#generation, files: this.#files } satisfies StateFile);
    const text = Buffer.from(`${crc32(body).toString(16).padStart(8, '0')} ${body}\n`);
    const slot = this.#generation % 2;
    const fd = this.#fds[slot]!;
    writeSync(fd, text, 0, text.length, 0);
    // Only a shorter text leaves stale bytes behind it (offsets mostly grow): skip the metadata write otherwise.
    if (text.length < this.#slotBytes[slot]!) ftruncateSync(fd, text.length);
    this.#slotBytes[slot] = text.length;
    if (this.#fsync || forceFsync) fsyncSync(fd);
    this.saves++;
  }

  close(): void {
    if (this.#fds) for (const fd of this.#fds) closeSync(fd);
    this.#fds = undefined;
  }
}

/** Opened for in-place writes at offset 0 ('a' would force every write to the end). */
function openSlot(file: string): number {
  closeSync(openSync(file, 'a'));
  return openSync(file, 'r+');
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
    return parsed.version === 1 && typeof parsed.files === 'object' ? parsed : 'corrupt';
  } catch {
    return 'corrupt';
  }
}
