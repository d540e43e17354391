/**
 * Self-instrumentation: counters and gauges rendered in the Prometheus text format, so the
 * monitor can itself be monitored (GET /metrics on the brain).
 */
type LabelValues = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: LabelValues; value: number }>;
  collect?: () => number;
}

export class MetricsRegistry {
  #families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    return new Counter(this.#family(name, help, 'counter'));
  }

  gauge(name: string, help: string): Gauge {
    return new Gauge(this.#family(name, help, 'gauge'));
  }

  /** A gauge read at scrape time, e.g. RSS or queue depth. */
  gaugeFn(name: string, help: string, collect: () => number): void {
    this.#family(name, help, 'gauge').collect = collect;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.collect) out.push(`${name} ${f.collect()}`);
      for (const { labels, value } of f.values.values()) out.push(`${name}${renderLabels(labels)} ${value}`);
    }
    return out.join('\n') + '\n';
  }

  #family(name: string, help: string, type: Family['type']): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, type, values: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }
}

class Series {
  constructor(protected readonly family: Family) {}
  protected slot(labels: LabelValues): { value: number } {
    const key = JSON.stringify(labels);
    let s = this.family.values.get(key);
    if (!s) {
      s = { labels, value: 0 };
      this.family.values.set(key, s);
    }
    return s;
  }
  get(labels: LabelValues = {}): number {
    return this.family.values.get(JSON.stringify(labels))?.value ?? 0;
  }
}

export class Counter extends Series {
  inc(by = 1, labels: LabelValues = {}): void {
    this.slot(labels).value += by;
  }
}

export class Gauge extends Series {
  set(value: number, labels: LabelValues = {}): void {
    this.slot(labels).value = value;
  }
}

function renderLabels(labels: LabelValues): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${keys.map((k) => `${k}="${esc(labels[k] ?? '')}"`).join(',')}}`;
}
