// The wall board: polls GET /api/wallboard every second and redraws. Every text from the brain
// goes through textContent (titles carry process names, file paths and log lines).

const POLL_MS = 1000;
const STALE_AFTER_MS = 3000;
// Opened from a page mail's link (/incidents/ID): that incident's timeline starts open.
const expanded = new Set(location.pathname.match(/^\/incidents\/([A-Za-z0-9._-]+)$/)?.slice(1) ?? []);
let lastOkMs = 0;
let previous; // the last answer, redrawn when a timeline is opened
let samplesPerS = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const hhmmss = (ms) => new Date(ms).toISOString().slice(11, 19) + 'Z';
const num = (v, digits = 0) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-GB', { maximumFractionDigits: digits }));

async function ack(id) {
  const by = window.prompt(`Acknowledge ${id} as:`, localStorage.getItem('floorwatch.user') ?? '');
  if (!by) return;
  localStorage.setItem('floorwatch.user', by);
  const res = await fetch(`/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by, note: 'from the wall board' }) });
  if (!res.ok) window.alert(`ack failed: ${(await res.json().catch(() => ({}))).error ?? res.status}`);
  await refresh();
}

function incidentItem(i, now) {
  const open = expanded.has(i.id);
  const toggle = () => {
    if (expanded.has(i.id)) expanded.delete(i.id);
    else expanded.add(i.id);
    if (previous) draw(previous);
  };
  const status = i.status === 'acknowledged' ? `acknowledged by ${i.acked_by}` : i.status;
  const li = el(
    'li',
    { class: 'incident', dataset: { severity: i.severity, status: i.status, id: i.id } },
    el(
      'div',
      { class: 'head' },
      el('span', { class: 'sev' }, i.severity),
      el('span', { class: 'id' }, i.id),
      el('span', { class: 'title' }, i.title),
      el('span', { class: 'age' }, duration(now - i.opened_ms)),
    ),
    el('div', { class: 'detail' }, `${status} · root cause: ${i.roots.join('; ')}`),
  );
  if (i.symptoms.length > 0) {
    li.append(el('div', { class: 'detail' }, 'symptoms: ', ...i.symptoms.flatMap((s, n) => [n ? ', ' : '', el('span', { class: 'symptom', dataset: { state: s.state } }, s.text)])));
  }
  if (i.pages_held_back) li.append(el('div', { class: 'detail' }, `pages held back: ${i.pages_held_back}`));
  const buttons = el('div', { class: 'head' }, el('button', { class: 'timeline-toggle', onclick: toggle }, open ? 'hide timeline' : 'timeline'));
  if (i.status === 'open') buttons.append(el('button', { class: 'ack', onclick: () => ack(i.id) }, 'acknowledge'));
  li.append(buttons);
  if (open) {
    li.append(el('ol', { class: 'timeline' }, ...i.timeline.map((e) => el('li', { dataset: { kind: e.kind } }, `${hhmmss(e.at_ms)} ${e.by ? `${e.by}: ` : ''}${e.text}`))));
  }
  return li;
}

function drawIncidents(w) {
  $('incident-count').textContent = w.incidents.active.length ? `(${w.incidents.active.length} active)` : '';
  $('incidents').replaceChildren(...(w.incidents.active.length ? w.incidents.active.map((i) => incidentItem(i, w.now_ms)) : [el('li', { class: 'resolved-row' }, 'no active incidents')]));
  $('resolved').replaceChildren(
    ...w.incidents.resolved.map((i) => el('li', { class: 'resolved-row', dataset: { id: i.id } }, `${i.id} ${i.title} — resolved ${hhmmss(i.resolved_ms)} after ${duration(i.resolved_ms - i.opened_ms)}`)),
  );
}

function drawPlant(w) {
  const rows = w.plant.map((c) => {
    const late = c.heartbeat_age_ms > 1000;
    return el(
      'tr',
      { dataset: { component: c.component, state: c.state, role: c.role ?? '', late: String(late) } },
      el('td', {}, c.component),
      el('td', {}, c.pair ?? ''),
      el('td', { class: 'role' }, c.role ?? ''),
      el('td', { class: 'state' }, c.state),
      el('td', { class: 'hb' }, late ? `${duration(c.heartbeat_age_ms)} ago` : 'live'),
      el('td', {}, num(c.in_per_s)),
      el('td', {}, num(c.out_per_s)),
      el('td', {}, c.latency_p99_us === null ? '–' : `${num(c.latency_p99_us / 1000, 1)} ms`),
      el('td', {}, num(c.gaps_unrecoverable)),
      el('td', {}, num(c.stale_symbols)),
    );
  });
  $('plant').tBodies[0].replaceChildren(...rows);
}

function drawFloor(w) {
  $('colours').replaceChildren(
    ...Object.entries(w.agents.by_colour)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([colour, c]) => el('div', { class: 'colour', dataset: { colour, down: String(c.connected < c.known) } }, el('span', {}, colour === 'none' ? 'no colour' : colour), el('span', {}, `${c.connected}/${c.known} up`))),
  );
  $('silent').replaceChildren(...w.agents.silent.map((a) => el('li', { dataset: { agent: a.id } }, `${a.host} (${a.id})${a.since_ms ? ` silent ${duration(w.now_ms - a.since_ms)}` : ' disconnected'}`)));
  const store = w.store.kind === 'none' ? 'none (spool only)' : `${w.store.sink ?? w.store.kind} ${w.store.up === false ? 'DOWN, spooling' : 'up'}`;
  const facts = [
    ['agents', `${w.agents.connected}/${w.agents.known} connected`],
    ['samples/s', samplesPerS === null ? '–' : num(samplesPerS)],
    ['store', store],
    ['uptime', duration(w.brain.uptime_s * 1000)],
  ];
  $('ingest').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function draw(w) {
  const n = w.incidents.active.length;
  $('bar').dataset.status = w.status;
  $('status').textContent = w.status === 'ok' ? 'floor OK' : `${w.status.toUpperCase()} — ${n} active incident${n === 1 ? '' : 's'}`;
  $('phases').textContent = Object.entries(w.phases).map(([m, p]) => `${m} ${p}`).join(' · ');
  $('brain').textContent = `brain ${w.brain.id} ${w.brain.version}`;
  drawIncidents(w);
  drawPlant(w);
  drawFloor(w);
}

async function refresh() {
  try {
    const res = await fetch('/api/wallboard', { cache: 'no-store' });
    if (!res.ok) throw new Error(String(res.status));
    const w = await res.json();
    if (previous && w.now_ms > previous.now_ms) samplesPerS = ((w.samples_ingested - previous.samples_ingested) * 1000) / (w.now_ms - previous.now_ms);
    draw(w);
    previous = w;
    lastOkMs = Date.now();
  } catch {
    // Keep the last picture, and say how old it is.
  }
  const behind = Date.now() - lastOkMs;
  $('stale').hidden = lastOkMs !== 0 && behind < STALE_AFTER_MS;
  $('stale').textContent = lastOkMs === 0 ? 'brain not answering' : `brain not answering — the board shows data from ${duration(behind)} ago`;
}

function tick() {
  $('clock').textContent = new Date().toISOString().slice(11, 19) + 'Z';
}

tick();
setInterval(tick, 1000);
await refresh();
setInterval(refresh, POLL_MS);
