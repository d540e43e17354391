/**
 * The samples a detector has seen of one series, oldest first. The SeriesTable keeps only the
 * latest value, so a detector records each new value it sees at a look. Bounded: the oldest
 * point goes first, counted.
 */
export interface Point {
  readonly t: number;
  readonly v: number;
}

export class History {
  readonly points: Point[] = [];
  readonly #max: number;
  dropped = 0;

  constructor(maxPoints: number) {
    this.#max = maxPoints;
  }

  /** Records a sample once (a value not newer than the last one is the same sample again). True when new. */
  record(t: number, v: number): boolean {
    const last = this.points[this.points.length - 1];
    if (!Number.isFinite(v) || t <= 0 || (last && t <= last.t)) return false;
    this.points.push({ t, v });
    if (this.points.length > this.#max) {
      this.points.shift();
      this.dropped++;
    }
    return true;
  }

  /** Forgets points older than `since`. */
  trim(since: number): void {
    let n = 0;
    while (n < this.points.length && this.points[n]!.t < since) n++;
    if (n > 0) this.points.splice(0, n);
  }

  get lastAt(): number {
    return this.points[this.points.length - 1]?.t ?? 0;
  }

  /** The last point at or before `t`, else the first point (binary search: points are in time order). */
  at(t: number): Point | undefined {
    let lo = 0;
    let hi = this.points.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.t <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return this.points[Math.max(found, 0)];
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
