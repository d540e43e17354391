/**
 * Splits a byte stream into lines while holding at most `maxLineBytes` of an unfinished line:
 * an oversized line is skipped up to its newline and reported once, so one bad producer costs
 * the agent a bounded amount of memory and never desynchronises the lines after it.
 */
export interface LineSink {
  line(text: string): void;
  oversized(): void;
}

const NEWLINE = 0x0a;

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #sink: LineSink;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #skipping = false;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.#maxLineBytes = maxLineBytes;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.#completeLine(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.#hold(chunk.subarray(start));
  }

  /** The stream ended: a final unterminated line is dropped, as it may be cut short. */
  get hasPartialLine(): boolean {
    return this.#pendingBytes > 0 || this.#skipping;
  }

  #completeLine(tail: Buffer): void {
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    if (this.#pendingBytes + tail.length > this.#maxLineBytes) {
      this.#reset();
      this.#sink.oversized();
      return;
    }
    const bytes = this.#pendingBytes === 0 ? tail : Buffer.concat([...this.#pending, tail]);
    this.#reset();
    if (bytes.length > 0) this.#sink.line(bytes.toString('utf8'));
  }

  #hold(part: Buffer): void {
    if (this.#skipping) return;
    if (this.#pendingBytes + part.length > this.#maxLineBytes) {
      this.#reset();
      this.#skipping = true;
      this.#sink.oversized();
      return;
    }
    // Copy: the caller's chunk may be reused by the stream.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}
