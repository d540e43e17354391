/**
 * Reads what a running brain has accepted, from its spool (brain/store/spool.ts), without
 * touching it: each call reads only the records appended since the last. A record is line
 * protocol as the brain stores it, so a test sees every sample the brain took, replays deduped.
 *
 * Record layout: u32 payload length | u32 crc32(rest) | f64 seq | u32 lines | u16 agent id
 * length | agent id | payload. A record still being written (short, or failing its CRC) is left
 * for the next call.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const FIXED_HEADER = 4 + 4 + 8 + 4 + 2;

export class SpoolTail {
  readonly #dir: string;
  readonly #read = new Map<string, number>();
  readonly #batches = new Set<string>();
  /** Records of an (agent, seq) already seen: the brain stored one batch twice. */
  readonly storedTwice: string[] = [];

  constructor(spoolDir: string) {
    this.#dir = spoolDir;
  }

  /**
   * Calls `onLines` with the payload text of every record appended since the last call, and its
   * agent ('' for the brain's own lines) and seq.
   */
  poll(onLines: (text: string, agentId: string, seq: number) => void): void {
    let files: string[];
    try {
      files = readdirSync(this.#dir)
        .filter((f) => /^spool-\d+\.seg$/.test(f))
        .sort();
    } catch {
      return; // not created yet
    }
    for (const file of files) this.#pollFile(file, onLines);
  }

  #pollFile(file: string, onLines: (text: string, agentId: string, seq: number) => void): void {
    const fd = openSync(join(this.#dir, file), 'r');
    try {
      let pos = this.#read.get(file) ?? 0;
      const size = fstatSync(fd).size;
      if (size <= pos) return;
      const data = Buffer.allocUnsafe(size - pos);
      readSync(fd, data, 0, data.length, pos);
      let at = 0;
      while (at + FIXED_HEADER <= data.length) {
        const total = FIXED_HEADER + data.readUInt16LE(at + 20) + data.readUInt32LE(at);
        if (at + total > data.length || crc32(data.subarray(at + 8, at + total)) !== data.readUInt32LE(at + 4)) break;
        const agentId = data.toString('utf8', at + FIXED_HEADER, at + FIXED_HEADER + data.readUInt16LE(at + 20));
        const seq = data.readDoubleLE(at + 8);
        const batch = `${agentId}#${seq}`;
        if (this.#batches.has(batch) && agentId !== '') this.storedTwice.push(batch);
        this.#batches.add(batch);
        onLines(data.toString('utf8', at + total - data.readUInt32LE(at), at + total), agentId, seq);
        at += total;
      }
      pos += at;
      this.#read.set(file, pos);
    } finally {
      closeSync(fd);
    }
  }
}
