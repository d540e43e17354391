/**
 * Line protocol written straight as bytes, one batch at a time, into a buffer that is reused:
 * at 250,000 samples/s, building each batch as a JS string (concatenated, then measured and
 * encoded again for the spool) was the brain's largest cost (docs/benchmarks.md, "Scale").
 * A sample is its series' prefix bytes, the value, a space, the time and a newline; numbers
 * are written exactly as `${n}` writes them.
 */

const SPACE = 0x20;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;

export class LineBuffer {
  #buf: Buffer;
  #used = 0;
  lines = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Starts a new batch; the bytes of the previous one are overwritten from here on. */
  reset(): void {
    this.#used = 0;
    this.lines = 0;
  }

  /** The lines written since `reset`, valid until the next write or reset. */
  get bytes(): Buffer {
    return this.#buf.subarray(0, this.#used);
  }

  /** `<prefix><value> <timeUs>\n`; the caller skips values line protocol cannot carry (NaN, ±∞). */
  sample(prefix: Uint8Array, value: number, timeUs: number): void {
    this.#reserve(prefix.length + 64);
    this.#buf.set(prefix, this.#used);
    this.#used += prefix.length;
    this.#number(value);
    this.#buf[this.#used++] = SPACE;
    this.#number(timeUs);
    this.#buf[this.#used++] = NEWLINE;
    this.lines++;
  }

  /** One complete line, given as text without its newline. */
  text(line: string): void {
    this.#reserve(Buffer.byteLength(line, 'utf8') + 1);
    this.#used += this.#buf.write(line, this.#used, 'utf8');
    this.#buf[this.#used++] = NEWLINE;
    this.lines++;
  }

  #number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.#used += this.#buf.write(String(n), this.#used, 'latin1');
      return;
    }
    if (n < 0) {
      this.#buf[this.#used++] = MINUS;
      n = -n;
    }
    // Two halves below 1e9 each, so the digits come from 32-bit integer arithmetic.
    if (n >= 1e8) {
      const high = Math.floor(n / 1e8);
      this.#digits(high, 0);
      this.#digits(n - high * 1e8, 8);
    } else this.#digits(n, 0);
  }

  /** `n` < 1e9, zero-padded to `width` digits. */
  #digits(n: number, width: number): void {
    let v = n | 0;
    let length = 1;
    for (let rest = v; rest >= 10; rest = (rest / 10) | 0) length++;
    if (length < width) length = width;
    const buf = this.#buf;
    const start = this.#used;
    for (let i = start + length - 1; i >= start; i--) {
      const q = (v / 10) | 0;
      buf[i] = ZERO + v - q * 10;
      v = q;
    }
    this.#used += length;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#used + bytes));
    this.#buf.copy(bigger, 0, 0, this.#used);
    this.#buf = bigger;
  }
}
