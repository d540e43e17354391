/**
 * Every query a dashboard runs, taken from its JSON (panel targets, annotations, variables), and
 * Grafana's interpolation of them for InfluxQL: `$timeFilter` for the time range, `$__interval`
 * for the bucket, and template variables as Grafana formats them for InfluxDB (a multi-value or
 * All variable as a regex alternation of escaped values, All as its `allValue`).
 */
export interface DashboardJson {
  uid: string;
  title: string;
  panels: { id: number; title: string; type: string; targets?: TargetJson[] }[];
  annotations?: { list?: { name: string; target?: TargetJson }[] };
  templating: {
    list: {
      name: string;
      type: string;
      query?: unknown;
      datasource?: { uid?: string };
      allValue?: string;
      multi?: boolean;
      includeAll?: boolean;
    }[];
  };
}

interface TargetJson {
  refId: string;
  query: string;
  datasource?: { uid?: string };
  resultFormat?: string;
}

export interface PanelQuery {
  kind: 'panel' | 'annotation' | 'variable';
  /** The panel's title, "annotation <name>" or "variable <name>". */
  panel: string;
  panelType: string;
  refId: string;
  query: string;
  datasource: string | undefined;
  resultFormat: string;
}

export function dashboardQueries(d: DashboardJson): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of d.panels) {
    for (const t of p.targets ?? [])
      out.push({
        kind: 'panel',
        panel: p.title,
        panelType: p.type,
        refId: t.refId,
        query: t.query,
        datasource: t.datasource?.uid,
        resultFormat: t.resultFormat ?? 'time_series',
      });
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.target)
      out.push({
        kind: 'annotation',
        panel: `annotation ${a.name}`,
        panelType: 'annotation',
        refId: a.target.refId,
        query: a.target.query,
        datasource: a.target.datasource?.uid,
        resultFormat: 'table',
      });
  }
  for (const v of d.templating.list) {
    if (v.type === 'query' && typeof v.query === 'string')
      out.push({
        kind: 'variable',
        panel: `variable ${v.name}`,
        panelType: 'variable',
        refId: v.name,
        query: v.query,
        datasource: v.datasource?.uid,
        resultFormat: 'table',
      });
  }
  return out;
}

export interface Interpolation {
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** Chosen values per variable; absent = All. */
  values: Record<string, string[]>;
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/-]/g, '\\$&');

export function interpolate(d: DashboardJson, query: string, o: Interpolation): string {
  const vars = new Map(d.templating.list.map((v) => [v.name, v]));
  return query
    .replace(/\$timeFilter/g, `time >= ${o.fromMs}ms and time <= ${o.toMs}ms`)
    .replace(/\$__interval_ms/g, String(o.intervalMs))
    .replace(/\$__interval/g, `${Math.max(1, Math.round(o.intervalMs / 1000))}s`)
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const v = vars.get(name);
      if (!v) return whole;
      const chosen = o.values[name];
      if (!chosen) return v.allValue ?? '.*';
      return v.multi || v.includeAll ? `(${chosen.map(escapeRegex).join('|')})` : (chosen[0] ?? '');
    });
}
