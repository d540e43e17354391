// The wall board: polls GET /api/wallboard (and GET /api/hosts/ID while a host is open) and
// redraws. Built to stay up for days: one request at a time (the next poll is scheduled when the
// last one has finished, so a slow brain never piles requests up), every panel replaced whole at
// each answer, and the only state kept between answers is bounded (the previous answer, the open
// timelines among the active incidents, the open host).
import { $, duration, el, hhmmss, num } from './dom.js';
import { drawHost } from './host.js';
import { can, loadSession, showLogin } from './login.js';

const params = new URLSearchParams(location.search);
// ?poll=MS (at least 100): how often to ask; the tests use it to redraw many times quickly.
const POLL_MS = Math.max(100, Number(params.get('poll')) || 1000);
const STALE_AFTER_MS = Math.max(3000, POLL_MS * 3);
const REQUEST_TIMEOUT_MS = 10_000;
// Opened from a page mail's link (/incidents/ID): that incident's timeline starts open.
const expanded = new Set(location.pathname.match(/^\/incidents\/([A-Za-z0-9._-]+)$/)?.slice(1) ?? []);
// Opened at /hosts/ID, or by a click on a host's tile.
let openHost = location.pathname.match(/^\/hosts\/([A-Za-z0-9._:-]+)$/)?.[1] ?? null;
let lastOkMs = 0;
let previous; // the last answer, redrawn when a timeline is opened
let samplesPerS = null;
let refreshes = 0;
let timer;

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (res.status === 401) {
    showLogin('this wall board needs a sign-in');
    lastOkMs = Date.now(); // the brain answers; it is not stale
  }
  if (!res.ok) throw Object.assign(new Error(String(res.status)), { status: res.status });
  return res.json();
}

// The brain records who acknowledged from the session: the person signed in, not a typed name.
async function ack(id) {
  const res = await fetch(`/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'from the wall board' }) });
  if (res.status === 401) showLogin('sign in to acknowledge');
  else if (!res.ok) window.alert(`ack failed: ${(await res.json().catch(() => ({}))).error ?? res.status}`);
  await refresh();
}

function toggleTimeline(id) {
  if (expanded.has(id)) expanded.delete(id);
  else expanded.add(id);
  if (previous) draw(previous);
}

function incidentItem(i, now) {
  const open = expanded.has(i.id);
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
  const buttons = el('div', { class: 'head' }, el('button', { class: 'timeline-toggle', onclick: () => toggleTimeline(i.id) }, open ? 'hide timeline' : 'timeline'));
  if (i.status === 'open' && can('ack')) buttons.append(el('button', { class: 'ack', onclick: () => ack(i.id) }, 'acknowledge'));
  li.append(buttons);
  if (open) {
    const entry = (e) => `${hhmmss(e.at_ms)} ${e.by ? `${e.by}: ` : ''}${e.for_clients ? '(to clients) ' : ''}${e.text}`;
    li.append(el('ol', { class: 'timeline' }, ...i.timeline.map((e) => el('li', { dataset: { kind: e.kind } }, entry(e)))));
  }
  return li;
}

function drawIncidents(w) {
  // Timelines of incidents no longer active are forgotten: the set stays as small as the list.
  const active = new Set(w.incidents.active.map((i) => i.id));
  for (const id of expanded) if (!active.has(id)) expanded.delete(id);
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

// The brain pair (docs/brain-pair.md): this brain, the other brain and the witness, each with its
// role, term and when it was last heard; a member unheard past the pair's leg-down time is late
// (the PairLegDown incident). On a secondary the summary says where the primary is.
function drawPair(w) {
  const p = w.pair;
  $('pair-panel').hidden = !p;
  if (!p) return;
  const self = { id: p.id, role: p.role, term: p.term, heardMsAgo: 0, self: true };
  const others = Object.entries(p.members).map(([id, m]) => ({ id, ...m }));
  const rows = [self, ...others].map((m) => {
    const late = !m.self && (m.heardMsAgo === null || m.heardMsAgo > p.legDownAfterMs);
    const kind = m.witness ? 'witness' : 'brain';
    const heard = m.self ? 'this brain' : m.heardMsAgo === null ? 'never' : m.heardMsAgo < p.heartbeatMs * 2 ? 'live' : `${duration(m.heardMsAgo)} ago`;
    return el(
      'tr',
      { dataset: { member: m.id, kind, role: m.role ?? '', late: String(late), self: String(Boolean(m.self)) } },
      el('td', {}, m.id),
      el('td', {}, kind),
      el('td', { class: 'role' }, m.role ?? '?'),
      el('td', {}, m.term ?? '–'),
      el('td', { class: 'hb' }, heard),
    );
  });
  $('pair').tBodies[0].replaceChildren(...rows);
  const replica = p.replica ? (p.replica.inSync ? 'in sync' : p.replica.connected ? 'catching up' : 'not connected') : null;
  $('pair-summary').textContent =
    p.role === 'primary'
      ? `primary: this brain (${p.id}), term ${p.term}`
      : `this board shows the ${p.role} ${p.id}; primary: ${p.primary ?? 'none heard'}${replica ? `, replica ${replica}` : ''} (incidents are on the primary)`;
}

const HEALTH_TEXT = { ok: 'ok', silent: 'SILENT', down: 'DOWN' };

function hostTile(h) {
  const worst = h.incidents[0];
  return el(
    'button',
    { type: 'button', class: 'host', dataset: { host: h.id, health: h.health, colour: h.colour ?? 'none', open: String(h.id === openHost) }, title: `${h.host}: ${h.health}`, onclick: () => selectHost(h.id === openHost ? null : h.id) },
    el('span', { class: 'host-name' }, h.host),
    el(
      'span',
      { class: 'host-state' },
      ...(h.colour ? [el('i', { class: 'chip' }), `${h.colour} · `] : []),
      worst ? `${h.health.toUpperCase()} ${worst}${h.incidents.length > 1 ? ` +${h.incidents.length - 1}` : ''}` : (HEALTH_TEXT[h.health] ?? h.health),
    ),
  );
}

function drawFloor(w) {
  $('colours').replaceChildren(
    ...Object.entries(w.agents.by_colour)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([colour, c]) => el('div', { class: 'colour', dataset: { colour, down: String(c.connected < c.known) } }, el('i', { class: 'chip' }), el('span', {}, colour === 'none' ? 'no colour' : colour), el('span', {}, `${c.connected}/${c.known} up`))),
  );
  // Every host, by desk; the tiles shrink when the floor is large.
  const desks = new Map();
  for (const h of w.hosts) {
    const desk = h.desk ?? 'no desk';
    if (!desks.has(desk)) desks.set(desk, []);
    desks.get(desk).push(h);
  }
  $('hosts').dataset.size = w.hosts.length > 120 ? 'tiny' : w.hosts.length > 40 ? 'small' : 'large';
  $('hosts').replaceChildren(...[...desks].map(([desk, hosts]) => el('div', { class: 'desk', dataset: { desk } }, el('h3', {}, `${desk} `, el('span', { class: 'count' }, `${hosts.filter((h) => h.health === 'ok').length}/${hosts.length} ok`)), el('div', { class: 'tiles' }, ...hosts.map(hostTile)))));
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
  drawPair(w);
  drawFloor(w);
}

function showPanels() {
  document.body.dataset.view = openHost ? 'host' : 'plant';
  $('host-panel').hidden = !openHost;
  if (!openHost) $('host-panel').replaceChildren();
}

/** Opens a host's detail (null closes it); the address follows, so a reload keeps it. */
function selectHost(id) {
  openHost = id;
  history.replaceState(null, '', id ? `/hosts/${id}${location.search}` : `/${location.search}`);
  showPanels();
  if (previous) draw(previous);
  if (id) $('host-panel').replaceChildren(el('h2', {}, `${id} `, el('span', { class: 'count' }, 'loading…')));
  void refresh();
}

function openIncident(id) {
  expanded.add(id);
  selectHost(null);
}

async function refreshHost() {
  if (!openHost) return;
  const id = openHost;
  try {
    const h = await getJson(`/api/hosts/${id}`);
    if (id !== openHost) return;
    drawHost(h, () => selectHost(null), openIncident);
  } catch (err) {
    if (err.status === 404 && id === openHost) $('host-panel').replaceChildren(el('h2', {}, `no host ${id}`), el('button', { class: 'close', type: 'button', onclick: () => selectHost(null) }, 'close'));
  }
}

let inFlight = null;
let again = false;

/** One poll at a time: asked for while one runs, it runs once more after it; then the next is scheduled. */
function refresh() {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  clearTimeout(timer);
  inFlight = poll().finally(() => {
    inFlight = null;
    if (again) {
      again = false;
      void refresh();
    } else {
      timer = setTimeout(refresh, POLL_MS);
    }
  });
  return inFlight;
}

async function poll() {
  try {
    const w = await getJson('/api/wallboard');
    if (previous && w.now_ms > previous.now_ms) samplesPerS = ((w.samples_ingested - previous.samples_ingested) * 1000) / (w.now_ms - previous.now_ms);
    draw(w);
    previous = w;
    lastOkMs = Date.now();
    await refreshHost();
  } catch {
    // Keep the last picture, and say how old it is.
  }
  const behind = Date.now() - lastOkMs;
  $('stale').hidden = lastOkMs !== 0 && behind < STALE_AFTER_MS;
  $('stale').textContent = lastOkMs === 0 ? 'brain not answering' : `brain not answering — the board shows data from ${duration(behind)} ago`;
  document.body.dataset.refreshes = String(++refreshes);
}

function tick() {
  $('clock').textContent = new Date().toISOString().slice(11, 19) + 'Z';
}

tick();
setInterval(tick, 1000);
showPanels();
await loadSession(() => (previous ? draw(previous) : refresh()));
await refresh();
