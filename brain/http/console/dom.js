// Small helpers shared by the wall board's scripts. Every text from the brain is set through
// text nodes (never innerHTML): titles carry process names, file paths and log lines.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

export const hhmmss = (ms) => new Date(ms).toISOString().slice(11, 19) + 'Z';
export const num = (v, digits = 0) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-GB', { maximumFractionDigits: digits }));

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
/** 1536 → "1.5 KB" (powers of 1024, as the kernel counts memory). */
export function bytes(v) {
  if (v === null || v === undefined) return '–';
  let n = Math.abs(v);
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return `${v < 0 ? '-' : ''}${n.toLocaleString('en-GB', { maximumFractionDigits: n < 10 && u > 0 ? 1 : 0 })} ${UNITS[u]}`;
}
