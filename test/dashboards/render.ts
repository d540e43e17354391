/**
 * Dashboards drawn to PNG without a Grafana server: each panel's queries, run against the same
 * InfluxDB as the panel checks, drawn by uPlot (the chart library inside Grafana's time series
 * panel) in Debian's chromium through playwright-core, laid out on the dashboard's own 24-column
 * grid. Time series and bars as uPlot charts with the incident and fail-over annotations as
 * vertical marks (times arrive in µs: influxql() asks for epoch=u), the two-axis panel with its right axis, state timelines as coloured bands,
 * stats as big numbers, tables as tables.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { InfluxqlSeries } from '../helpers/influxd.js';
import { dashboardQueries, type DashboardJson, type Interpolation } from './queries.js';

export const CHROMIUM = '/usr/bin/chromium';

interface PanelJson {
  id: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: {
    defaults?: { unit?: string; mappings?: { options?: Record<string, { text: string; color: string }> }[] };
    overrides?: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[];
  };
}

interface Drawn {
  file: string;
  bytes: number;
  /** Panels the page drew (rows are headings, not panels). */
  panels: number;
  /** Panels the dashboard has (rows left out): every one should be drawn. */
  expected: number;
  /** Panels drawn with no value to show (their queries failed or returned nothing): "No data" in the picture. */
  empty: string[];
}

const hasValue = (series: InfluxqlSeries[]) => series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null && v !== '')));

type Run = (d: DashboardJson, query: string) => Promise<InfluxqlSeries[]>;

export async function renderDashboards(dashboards: DashboardJson[], range: Interpolation, dir: string, run: Run): Promise<Drawn[]> {
  const require = createRequire(import.meta.url);
  const uplotDir = dirname(require.resolve('uplot/package.json'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const drawn: Drawn[] = [];
  try {
    for (const d of dashboards) {
      const queries = dashboardQueries(d);
      const panels = [];
      for (const p of d.panels as unknown as PanelJson[]) {
        const mine = queries.filter((q) => q.kind === 'panel' && q.panel === p.title);
        const results = await Promise.all(mine.map(async (q) => ({ refId: q.refId, series: await run(d, q.query).catch(() => []) })));
        panels.push({ ...p, results });
      }
      const annotations = await Promise.all(
        queries.filter((q) => q.kind === 'annotation').map(async (q) => ({ name: q.panel, series: await run(d, q.query).catch(() => []) })),
      );
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
      await page.setContent(
        `<!doctype html><html><head><style>${readFileSync(join(uplotDir, 'dist/uPlot.min.css'), 'utf8')}${CSS}</style></head><body><h1></h1><div id="grid"></div></body></html>`,
      );
      await page.addScriptTag({ path: join(uplotDir, 'dist/uPlot.iife.min.js') });
      await page.addScriptTag({ content: DRAW });
      const count = await page.evaluate(
        `draw(${JSON.stringify({ title: d.title, panels, annotations, fromMs: range.fromMs, toMs: range.toMs })})`,
      );
      const file = join(dir, `${d.uid}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await page.close();
      const charts = panels.filter((p) => p.type !== 'row');
      drawn.push({
        file,
        bytes: statSync(file).size,
        panels: Number(count),
        expected: charts.length,
        empty: charts.filter((p) => !p.results.some((r) => hasValue(r.series))).map((p) => p.title),
      });
    }
  } finally {
    await browser.close();
  }
  return drawn;
}

const CSS = `
body { background: #111217; color: #ccccdc; font: 12px Inter, Helvetica, Arial, sans-serif; margin: 0; padding: 8px; }
h1 { font-size: 18px; font-weight: 500; margin: 4px 4px 10px; }
#grid { position: relative; width: 1584px; }
.panel { position: absolute; box-sizing: border-box; background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; padding: 4px 6px; overflow: hidden; }
.panel h2 { font-size: 12px; font-weight: 500; margin: 0 0 4px; white-space: nowrap; }
.row { position: absolute; font-size: 14px; font-weight: 500; border-bottom: 1px solid #2c3235; }
.stat { font-size: 34px; font-weight: 600; text-align: center; margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 11px; } td, th { border-bottom: 1px solid #2c3235; padding: 2px 4px; text-align: left; white-space: nowrap; }
.band { position: relative; height: 16px; margin: 2px 0 2px 130px; } .band span { position: absolute; height: 100%; }
.bandname { position: absolute; left: -130px; width: 126px; overflow: hidden; white-space: nowrap; font-size: 10px; }
.u-legend { font-size: 10px; } .u-legend .u-marker { width: 8px; height: 8px; }
`;

/** Runs in the page: lays out the panels and draws each one. */
const DRAW = `
const COLOURS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#f2495c', '#b877d9', '#8ab8ff', '#fade2a', '#37872d', '#e02f44'];
const CELL_W = 66, CELL_H = 30;
function seriesOf(results) {
  const out = [];
  for (const r of results) for (const s of r.series) {
    const tags = Object.values(s.tags || {}).join(' ');
    s.columns.forEach((c, i) => {
      if (i === 0) return;
      const points = s.values.filter((v) => typeof v[i] === 'number').map((v) => [v[0] / 1e6, v[i]]);
      out.push({ refId: r.refId, name: (tags + ' ' + (c === 'last' || c === 'mean' || c === 'max' || c === 'count' ? '' : c)).trim() || c, points, rows: s.values, columns: s.columns, tags: s.tags || {} });
    });
  }
  return out;
}
function fmt(v, unit) {
  if (typeof v !== 'number') return String(v);
  const abs = Math.abs(v);
  const k = unit === 'bytes' || unit === 'Bps' ? 1024 : 1000;
  const suffix = unit === 'bytes' ? ['B', 'KiB', 'MiB', 'GiB'] : unit === 'Bps' ? ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'] : unit === 'bps' ? ['b/s', 'kb/s', 'Mb/s', 'Gb/s'] : ['', 'k', 'M', 'G'];
  let i = 0, x = abs; while (x >= k && i < 3) { x /= k; i++; }
  const tail = ['s', 'ms', 'µs', 'percent'].includes(unit) ? ' ' + (unit === 'percent' ? '%' : unit) : '';
  return (v < 0 ? '-' : '') + (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + (suffix[i] ? ' ' + suffix[i] : '') + tail;
}
function draw(o) {
  document.querySelector('h1').textContent = o.title;
  const grid = document.getElementById('grid');
  const marks = [];
  for (const a of o.annotations) for (const s of a.series) for (const v of s.values) marks.push({ t: v[0] / 1e6, colour: a.name.includes('Incident') ? '#f2495c' : '#ff9830' });
  let drawn = 0, bottom = 0;
  for (const p of o.panels) {
    const g = p.gridPos, el = document.createElement('div');
    el.style.left = g.x * CELL_W + 'px'; el.style.top = g.y * CELL_H + 'px'; el.style.width = g.w * CELL_W - 4 + 'px'; el.style.height = g.h * CELL_H - 4 + 'px';
    bottom = Math.max(bottom, (g.y + g.h) * CELL_H);
    grid.appendChild(el);
    if (p.type === 'row') { el.className = 'row'; el.textContent = p.title; continue; }
    el.className = 'panel';
    el.innerHTML = '<h2></h2>'; el.firstChild.textContent = p.title;
    const unit = p.fieldConfig?.defaults?.unit, series = seriesOf(p.results), w = g.w * CELL_W - 18, h = g.h * CELL_H - 34;
    if (p.type === 'stat') {
      const last = series.flatMap((s) => s.points).sort((a, b) => a[0] - b[0]).at(-1);
      const div = document.createElement('div'); div.className = 'stat'; div.textContent = last ? fmt(last[1], unit) : 'No data'; el.appendChild(div);
    } else if (p.type === 'table' || p.type === 'barchart') {
      const first = p.results.flatMap((r) => r.series);
      const cols = first[0] ? [...Object.keys(first[0].tags || {}), ...first[0].columns] : [];
      const rows = first.flatMap((s) => s.values.map((v) => [...Object.values(s.tags || {}), ...v.map((x, i) => (i === 0 && s.columns[0] === 'time' ? new Date(x / 1000).toISOString().slice(11, 19) : x))]));
      const table = document.createElement('table');
      table.innerHTML = '<tr>' + cols.map((c) => '<th>' + c + '</th>').join('') + '</tr>' + rows.slice(0, Math.max(3, Math.floor(h / 18) - 1)).map((r) => '<tr>' + r.map((c) => '<td>' + (c === null ? '' : typeof c === 'number' ? fmt(c) : String(c).slice(0, 70)) + '</td>').join('') + '</tr>').join('');
      el.appendChild(table);
    } else if (p.type === 'state-timeline') {
      const mapping = p.fieldConfig?.defaults?.mappings?.[0]?.options || {};
      const span = o.toMs / 1000 - o.fromMs / 1000, width = w - 130;
      for (const s of series.slice(0, Math.floor(h / 20))) {
        const band = document.createElement('div'); band.className = 'band';
        band.innerHTML = '<div class="bandname"></div>'; band.firstChild.textContent = s.name;
        s.points.forEach(([t, v], i) => {
          const next = s.points[i + 1]?.[0] ?? t + span / 300, seg = document.createElement('span');
          seg.style.left = ((t - o.fromMs / 1000) / span) * width + 'px'; seg.style.width = Math.max(1, ((next - t) / span) * width) + 'px';
          seg.style.background = ({ green: '#73bf69', red: '#f2495c', blue: '#5794f2', orange: '#ff9830', yellow: '#fade2a' })[mapping[String(Math.round(v))]?.color] || '#808080';
          band.appendChild(seg);
        });
        el.appendChild(band);
      }
    } else {
      const xs = [...new Set(series.flatMap((s) => s.points.map((pt) => pt[0])))].sort((a, b) => a - b);
      const index = new Map(xs.map((x, i) => [x, i]));
      const data = [xs, ...series.map((s) => { const ys = xs.map(() => null); for (const [t, v] of s.points) ys[index.get(t)] = v; return ys; })];
      const right = p.fieldConfig?.overrides?.find((ov) => ov.properties.some((pr) => pr.id === 'custom.axisPlacement' && pr.value === 'right'));
      const rightRef = right?.matcher.options, rightUnit = right?.properties.find((pr) => pr.id === 'unit')?.value;
      const isBars = p.fieldConfig?.defaults?.custom?.drawStyle === 'bars';
      const opts = {
        width: w, height: Math.max(60, h - 20), legend: { show: true },
        scales: { x: { time: true, min: o.fromMs / 1000, max: o.toMs / 1000 }, y: {}, y2: {} },
        axes: [{ stroke: '#ccccdc', grid: { stroke: '#2c3235' } }, { stroke: '#ccccdc', grid: { stroke: '#2c3235' }, values: (u, v) => v.map((x) => fmt(x, unit)), size: 70 },
          ...(rightRef ? [{ scale: 'y2', side: 1, stroke: '#ccccdc', grid: { show: false }, values: (u, v) => v.map((x) => fmt(x, rightUnit)), size: 70 }] : [])],
        series: [{}, ...series.map((s, i) => {
          const onRight = s.refId === rightRef, colour = COLOURS[i % COLOURS.length];
          return { label: s.name.slice(0, 40), scale: onRight ? 'y2' : 'y', stroke: colour, width: 1, spanGaps: true, fill: isBars || onRight ? colour + '88' : colour + '1a',
            ...(isBars || onRight ? { paths: uPlot.paths.bars({ size: [0.8, 20] }), points: { show: false } } : { points: { show: false } }) };
        })],
        hooks: { draw: [(u) => { const c = u.ctx; for (const m of marks) { const x = u.valToPos(m.t, 'x', true); if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue; c.strokeStyle = m.colour; c.setLineDash([4, 4]); c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke(); c.setLineDash([]); } }] },
      };
      new uPlot(opts, data, el);
    }
    drawn++;
  }
  grid.style.height = bottom + 'px';
  return drawn;
}
`;
