/** Events per second over the interval since the last read: what the health heartbeat reports. */
export class RateMeter {
  #total = 0;
  #lastTotal = 0;
  #lastAt: number;

  constructor(private readonly now: () => number) {
    this.#lastAt = now();
  }

  get total(): number {
    return this.#total;
  }

  add(n: number): void {
    this.#total += n;
  }

  perSecond(): number {
    const t = this.now();
    const dt = t - this.#lastAt;
    if (dt <= 0) return 0;
    const rate = ((this.#total - this.#lastTotal) * 1000) / dt;
    this.#lastTotal = this.#total;
    this.#lastAt = t;
    return Math.round(rate);
  }
}
