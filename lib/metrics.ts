/**
 * Self-instrumentation for GET /metrics on the brain, so the monitor can itself be monitored.
 *
 * A thin facade over prom-client (docs/architecture.md says why): counters, gauges and
 * histograms with prom-client's name/label validation, zero-initialised series and the standard
 * `process_*` / `nodejs_*` defaults. The facade keeps the call style the code already uses
 * (`inc(by, labels)`, `set(value, labels)`, a synchronous `get`) and adds read-at-scrape
 * families: `gaugeFn` for levels and `counterFn` for totals another module already counts
 * (a `*_total` is always a counter, never a gauge). Labels must be declared when the family is
 * made (prom-client refuses an undeclared label; the error names it).
 */
import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';

type LabelValues = Record<string, string>;

const GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class MetricsRegistry {
  readonly #registry = new Registry();
  readonly #families = new Map<string, Counter | Gauge | Histogram | ReadAtScrape | ReadHistogramAtScrape>();

  /** `defaults: false` leaves out the process metrics (tests that render a registry of their own). */
  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults ?? true) {
      collectDefaultMetrics({ register: this.#registry });
      // Gauges named *_total: `promtool check metrics` refuses them, and handle counts say little here.
      for (const name of GAUGES_NAMED_TOTAL) this.#registry.removeSingleMetric(name);
    }
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#once(name, Counter, () => new Counter(new PromCounter({ name, help, labelNames, registers: [this.#registry] })));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#once(name, Gauge, () => new Gauge(new PromGauge({ name, help, labelNames, registers: [this.#registry] })));
  }

  /** Bucket upper bounds in the unit the name says (`_seconds`: seconds). */
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.#once(
      name,
      Histogram,
      () => new Histogram(new PromHistogram({ name, help, labelNames, buckets: [...buckets], registers: [this.#registry] })),
    );
  }

  /** A gauge read at scrape time, e.g. RSS or queue depth. Registering the name again replaces the reader. */
  gaugeFn(name: string, help: string, read: () => number): void {
    this.#readAtScrape(
      name,
      read,
      (collect) =>
        new PromGauge({
          name,
          help,
          registers: [this.#registry],
          collect() {
            this.set(collect());
          },
        }),
    );
  }

  /** A counter read at scrape time: a monotonic total another module keeps (drops, lines forwarded). */
  counterFn(name: string, help: string, read: () => number): void {
    this.#readAtScrape(
      name,
      read,
      (collect) =>
        new PromCounter({
          name,
          help,
          registers: [this.#registry],
          collect() {
            this.reset();
            this.inc(Math.max(0, collect()));
          },
        }),
    );
  }

  /**
   * A histogram read at scrape time: its counts are kept elsewhere (another thread's, sent over).
   * `read` gives each bucket's own count (not cumulative; the last is +Inf), the sum and the count.
   */
  histogramFn(name: string, help: string, buckets: readonly number[], read: () => HistogramCounts): void {
    const known = this.#families.get(name);
    if (known instanceof ReadHistogramAtScrape) {
      known.read = read;
      return;
    }
    if (known) throw new Error(`metric ${name} is already registered as another type`);
    const family = new ReadHistogramAtScrape(read);
    this.#families.set(name, family);
    // prom-client's interface for a metric collected elsewhere: `get` gives its family's values.
    this.#registry.registerMetric({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: () => {
        const r = family.read();
        const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
        let cumulative = 0;
        [...buckets, '+Inf' as const].forEach((le, i) => {
          cumulative += r.buckets[i] ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
        });
        values.push({ metricName: `${name}_sum`, labels: {}, value: r.sum }, { metricName: `${name}_count`, labels: {}, value: r.count });
        return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
      },
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): Promise<string> {
    return this.#registry.metrics();
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  #once<T extends Counter | Gauge | Histogram>(name: string, kind: new (...a: never[]) => T, make: () => T): T {
    const known = this.#families.get(name);
    if (known instanceof kind) return known;
    if (known) throw new Error(`metric ${name} is already registered as another type`);
    const made = make();
    this.#families.set(name, made);
    return made;
  }

  #readAtScrape(name: string, read: () => number, make: (collect: () => number) => unknown): void {
    const known = this.#families.get(name);
    if (known instanceof ReadAtScrape) {
      known.read = read;
      return;
    }
    if (known) throw new Error(`metric ${name} is already registered as another type`);
    const family = new ReadAtScrape(read);
    make(() => family.read());
    this.#families.set(name, family);
  }
}

class ReadAtScrape {
  constructor(public read: () => number) {}
}

/** Each bucket's own count (not cumulative; the last is +Inf), the sum and the count. */
export interface HistogramCounts {
  buckets: number[];
  sum: number;
  count: number;
}

class ReadHistogramAtScrape {
  constructor(public read: () => HistogramCounts) {}
}

/** Values kept beside prom-client's so `get` stays synchronous (prom-client's is async). */
class Values {
  readonly #values = new Map<string, number>();
  protected update(labels: LabelValues, f: (v: number) => number): number {
    const key = labelKey(labels);
    const v = f(this.#values.get(key) ?? 0);
    this.#values.set(key, v);
    return v;
  }
  get(labels: LabelValues = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
}

export class Counter extends Values {
  constructor(readonly prom: PromCounter) {
    super();
  }
  inc(by = 1, labels: LabelValues = {}): void {
    this.prom.inc(labels, by);
    this.update(labels, (v) => v + by);
  }
}

export class Gauge extends Values {
  constructor(readonly prom: PromGauge) {
    super();
  }
  set(value: number, labels: LabelValues = {}): void {
    this.prom.set(labels, value);
    this.update(labels, () => value);
  }
}

export class Histogram {
  constructor(readonly prom: PromHistogram) {}
  observe(value: number, labels: LabelValues = {}): void {
    this.prom.observe(labels, value);
  }
}

function labelKey(labels: LabelValues): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}
