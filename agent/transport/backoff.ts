/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): a floor of
 * agents reconnecting after a brain restart spreads out instead of arriving in one wave.
 */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly opts: { minMs: number; maxMs: number },
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.opts.minMs / 2 + this.random() * (ceiling - this.opts.minMs / 2));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
