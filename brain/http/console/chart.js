// Short line charts in SVG for the host detail: the last minutes the brain keeps in memory
// (GET /api/hosts/ID charts: a start, a step and values, null where a step had no sample).
// Up to two scales (left and right), each series drawn against its own; a legend gives each
// series' latest value. Built with createElementNS and attributes only (the page's
// Content-Security-Policy allows no inline style or script).
import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 120;
const PAD = { left: 4, right: 4, top: 6, bottom: 14 };
const MIN_STEPS = 12;
export const PALETTE = ['#4a90d9', '#e8590c', '#1f9d55', '#d4a017', '#b36ae2', '#e02424', '#17a2b8', '#8a94a3'];

function svg(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * lines: [{ label, points: {start_ms, step_ms, values}, format, axis: 'left'|'right' }].
 * Returns a <figure> with the chart and its legend.
 */
export function lineChart(title, all) {
  // A ring not yet full is drawn from its first sample (at least a minute), not as empty space.
  const first = Math.min(...all.map((l) => l.points.values.findIndex((v) => v !== null)).filter((i) => i >= 0));
  const from = Number.isFinite(first) ? Math.max(0, Math.min(first, (all[0]?.points.values.length ?? 0) - MIN_STEPS)) : 0;
  const lines = all.map((l) => ({ ...l, points: { ...l.points, start_ms: l.points.start_ms + from * l.points.step_ms, values: l.points.values.slice(from) } }));
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'chart', role: 'img', 'aria-label': title });
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const scales = {};
  for (const l of lines) {
    const s = (scales[l.axis ?? 'left'] ??= { max: 0 });
    for (const v of l.points.values) if (v !== null && v > s.max) s.max = v;
  }
  for (const y of [0, 0.5, 1]) chart.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH * y, y2: PAD.top + plotH * y, class: 'grid', 'vector-effect': 'non-scaling-stroke' }));
  const legend = el('div', { class: 'legend' });
  lines.forEach((l, n) => {
    const colour = PALETTE[n % PALETTE.length];
    const { values } = l.points;
    const max = scales[l.axis ?? 'left'].max || 1;
    const x = (i) => PAD.left + (values.length <= 1 ? plotW : (plotW * i) / (values.length - 1));
    const y = (v) => PAD.top + plotH - (plotH * v) / max;
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) chart.append(svg('path', { d, stroke: colour, class: 'line', fill: 'none', 'vector-effect': 'non-scaling-stroke' }));
    const latest = [...values].reverse().find((v) => v !== null);
    legend.append(el('span', { class: 'key', dataset: { axis: l.axis ?? 'left' } }, el('i', { class: `swatch c${n % PALETTE.length}` }), `${l.label} ${latest === undefined ? '–' : l.format(latest)}`));
  });
  const minutes = Math.max(1, Math.round(((lines[0]?.points.values.length ?? 0) * (lines[0]?.points.step_ms ?? 0)) / 60_000));
  const scaleText = Object.entries(scales)
    .map(([axis, s]) => `${axis === 'left' ? '' : 'right '}max ${lines.find((l) => (l.axis ?? 'left') === axis).format(s.max)}`)
    .join(' · ');
  return el('figure', { class: 'chart-box' }, el('figcaption', {}, el('span', {}, title), el('span', { class: 'scale' }, `last ${minutes} min · ${scaleText}`)), chart, legend);
}
