/**
 * Where each tailed file stands, saved under the agent's state directory. Written atomically
 * (temp file, then rename), and only with offsets of lines already handed to emit.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
  files: Record<string, Cursor[]>;
}

export class OffsetStore {
  readonly path: string;
  readonly #fsync: boolean;
  #files: Record<string, Cursor[]> = {};
  saves = 0;

  constructor(stateDir: string, fsync: boolean) {
    mkdirSync(stateDir, { recursive: true });
    this.path = join(stateDir, 'log-offsets.json');
    this.#fsync = fsync;
  }

  /** Saved cursors by tailed path; a missing file is an empty state, a corrupt one an error. */
  load(): Map<string, Cursor[]> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return new Map();
    }
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.version !== 1 || typeof parsed.files !== 'object') throw new Error(`${this.path}: unknown format`);
    this.#files = parsed.files;
    return new Map(Object.entries(parsed.files));
  }

  set(path: string, cursors: Cursor[]): void {
    this.#files[path] = cursors.map((c) => ({ id: { ...c.id }, offset: c.offset, skipping: c.skipping }));
  }

  save(forceFsync = false): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ version: 1, files: this.#files } satisfies StateFile));
      if (this.#fsync || forceFsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.saves++;
  }
}
