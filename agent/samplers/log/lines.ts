/**
 * Splits bytes into lines, bounded: a line longer than maxLineBytes is cut (its head is kept as
 * a line, the rest skipped up to the next newline and counted), so no buffer grows with input.
 */

/** Complete lines of one read, as offsets into `buf` (end excludes "\n" and a trailing "\r"). */
export interface LineBatch {
  buf: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  /** The tailed path (tag `file`), not the rotated name the bytes came from. */
  file: string;
  arrivalUs: number;
  /** Lines read from a backlog (after a restart or rotation), not as they were written. */
  backlog: boolean;
  /** Every line is 7-bit ASCII; set by runRules (one `isAscii` over the batch). */
  ascii?: boolean;
}

export interface SplitState {
  /** Inside an overlong line: discard bytes until the next newline. */
  skipping: boolean;
}

export interface SplitCounts {
  longLines: number;
  skippedBytes: number;
}

export class LineSplitter {
  readonly maxLineBytes: number;
  starts: Int32Array = new Int32Array(4096);
  ends: Int32Array = new Int32Array(4096);
  count = 0;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Collects the lines of buf[from, to), at most `maxLines`, into starts/ends/count. Returns how
   * many bytes were consumed: up to the end of the last line collected, or all of an overlong
   * line's bytes. With `final` (a finished file), a last line without "\n" counts as complete.
   */
  split(buf: Buffer, from: number, to: number, state: SplitState, counts: SplitCounts, final: boolean, maxLines = Infinity): number {
    this.count = 0;
    let pos = from;
    if (state.skipping) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= to) {
        counts.skippedBytes += to - pos;
        return to - from;
      }
      counts.skippedBytes += nl + 1 - pos;
      pos = nl + 1;
      state.skipping = false;
    }
    while (pos < to && this.count < maxLines) {
      let nl = buf.indexOf(10, pos);
      if (nl >= to) nl = -1;
      const limit = pos + this.maxLineBytes;
      if (nl >= 0 && nl <= limit) {
        this.#push(pos, nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl);
        pos = nl + 1;
        continue;
      }
      if (to >= limit) {
        this.#push(pos, limit);
        counts.longLines++;
        const cutNl = nl >= 0 ? nl : -1;
        if (cutNl >= 0) {
          counts.skippedBytes += cutNl - limit + 1;
          pos = cutNl + 1;
          continue;
        }
        counts.skippedBytes += to - limit;
        state.skipping = true;
        return to - from;
      }
      if (final) {
        this.#push(pos, to);
        return to - from;
      }
      break;
    }
    return pos - from;
  }

  #push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }
}
