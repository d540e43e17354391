// One host's detail, opened by a click on its tile in the floor panel (or at /hosts/ID): its
// NICs and bonds, memory (dirty against writes), disks, wrapped processes and log rules as the
// brain last heard them, short charts of the last minutes from the brain's memory, and the
// host's recent events. Drawn fresh from each answer of GET /api/hosts/ID; nothing accumulates.
import { lineChart } from './chart.js';
import { $, bytes, duration, el, hhmmss, num } from './dom.js';

const perS = (v) => `${bytes(v)}/s`;
const pct = (v) => `${num(v, 1)} %`;
const MAX_PROCESS_LINES = 6;

function table(headers, rows) {
  return el('table', { class: 'detail-table' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

const row = (data, ...cells) => el('tr', { dataset: data }, ...cells.map((c) => (c instanceof Node ? c : el('td', {}, c))));
const flag = (v, yes, no) => el('td', { class: v === 1 ? 'good' : v === 0 ? 'bad' : '' }, v === 1 ? yes : v === 0 ? no : '–');

function chartOf(h, measurement, field, name = '') {
  return h.charts.find((c) => c.measurement === measurement && c.field === field && c.name === name);
}

function network(h) {
  const nics = h.groups.nic ?? [];
  const bonds = h.groups.bond ?? [];
  const slaves = h.groups.bond_slave ?? [];
  if (nics.length + bonds.length === 0) return null;
  const out = [el('h3', {}, 'NIC and bond')];
  if (nics.length) {
    out.push(
      table(
        ['interface', 'link', 'carrier', 'speed', 'rx', 'tx', 'errors/s'],
        nics.map((n) =>
          row(
            { nic: n.name },
            n.name,
            flag(n.fields.up, 'up', 'DOWN'),
            flag(n.fields.carrier, 'yes', 'NO'),
            n.fields.speed_mbps > 0 ? `${num(n.fields.speed_mbps)} Mb/s` : '–',
            perS(n.fields.rx_bytes_per_s),
            perS(n.fields.tx_bytes_per_s),
            num((n.fields.rx_errors_per_s ?? 0) + (n.fields.tx_errors_per_s ?? 0), 1),
          ),
        ),
      ),
    );
  }
  for (const b of bonds) {
    const mine = slaves.filter((s) => s.tags.bond === b.name);
    const active = mine.find((s) => s.fields.active === 1)?.name ?? 'none';
    out.push(
      el(
        'div',
        { class: 'bond', dataset: { bond: b.name, degraded: String(b.fields.slaves_up < b.fields.slaves_total) } },
        el('strong', {}, b.name),
        ` mii ${b.fields.mii_up === 1 ? 'up' : 'DOWN'} · slaves up ${num(b.fields.slaves_up)}/${num(b.fields.slaves_total)} · active `,
        el('strong', { class: 'active-slave' }, active),
        ` · fail-overs ${num(b.fields.active_slave_changes)} · link failures ${num(b.fields.link_failures)}`,
      ),
      table(
        ['slave', 'mii', 'active', 'link failures'],
        mine.map((s) => row({ slave: s.name }, s.name, flag(s.fields.mii_up, 'up', 'DOWN'), s.fields.active === 1 ? 'active' : 'backup', num(s.fields.link_failures))),
      ),
    );
  }
  const traffic = nics
    .slice(0, 3)
    .flatMap((n) => [
      chartOf(h, 'nic', 'rx_bytes_per_s', n.name) && { label: `${n.name} rx`, points: chartOf(h, 'nic', 'rx_bytes_per_s', n.name), format: perS },
      chartOf(h, 'nic', 'tx_bytes_per_s', n.name) && { label: `${n.name} tx`, points: chartOf(h, 'nic', 'tx_bytes_per_s', n.name), format: perS },
    ])
    .filter(Boolean);
  if (traffic.length) out.push(lineChart('NIC traffic', traffic));
  return out;
}

function memory(h) {
  const m = h.groups.memory?.[0];
  if (!m) return null;
  const f = m.fields;
  const disks = h.groups.disk ?? [];
  const writes = disks.reduce((n, d) => n + (d.fields.write_bytes_per_s ?? 0), 0);
  const out = [
    el('h3', {}, 'Dirty memory against writes'),
    el(
      'dl',
      { class: 'facts', id: 'host-memory' },
      ...[
        ['dirty', bytes(f.dirty_bytes)],
        ['writeback', bytes(f.writeback_bytes)],
        ['flush threshold', `${bytes(f.dirty_background_threshold_bytes)} / ${bytes(f.dirty_threshold_bytes)}`],
        ['written', perS(f.written_bytes_per_s)],
        ['disk writes', disks.length ? `${perS(writes)} (${disks.map((d) => d.name).join(', ')})` : '–'],
      ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    ),
  ];
  const lines = [
    chartOf(h, 'memory', 'dirty_bytes') && { label: 'dirty', points: chartOf(h, 'memory', 'dirty_bytes'), format: bytes },
    chartOf(h, 'memory', 'writeback_bytes') && { label: 'writeback', points: chartOf(h, 'memory', 'writeback_bytes'), format: bytes },
    chartOf(h, 'memory', 'written_bytes_per_s') && { label: 'written', points: chartOf(h, 'memory', 'written_bytes_per_s'), format: perS, axis: 'right' },
    ...disks.slice(0, 2).map((d) => chartOf(h, 'disk', 'write_bytes_per_s', d.name) && { label: `${d.name} writes`, points: chartOf(h, 'disk', 'write_bytes_per_s', d.name), format: perS, axis: 'right' }),
  ].filter(Boolean);
  if (lines.length) out.push(lineChart('dirty and writeback (left) against writes (right)', lines));
  return out;
}

function processes(h) {
  const wrapped = h.groups.process ?? [];
  const watched = h.groups.process_watch ?? [];
  if (wrapped.length + watched.length === 0) return null;
  const rows = [
    ...wrapped.map((p) => row({ process: p.name, kind: 'wrapped' }, p.name, 'wrapped', pct(p.fields.cpu_percent), bytes(p.fields.rss_bytes), num(p.fields.restarts), p.fields.uptime_s === null || p.fields.uptime_s === undefined ? '–' : duration(p.fields.uptime_s * 1000))),
    ...watched.map((p) => row({ process: p.name, kind: 'watched' }, p.name, `watched (${num(p.fields.count)})`, pct(p.fields.cpu_percent), bytes(p.fields.rss_bytes), '–', '–')),
  ];
  const cpu = [...wrapped.map((p) => ['process', p.name]), ...watched.map((p) => ['process_watch', p.name])]
    .slice(0, MAX_PROCESS_LINES)
    .map(([m, name]) => chartOf(h, m, 'cpu_percent', name) && { label: name, points: chartOf(h, m, 'cpu_percent', name), format: pct })
    .filter(Boolean);
  return [el('h3', {}, 'Processes'), table(['process', 'kind', 'cpu', 'rss', 'restarts', 'up for'], rows), cpu.length ? lineChart('CPU by process', cpu) : null];
}

function events(h) {
  const rules = (h.groups.log_rule ?? []).filter((r) => r.fields.matches > 0);
  return [
    el('h3', {}, 'Recent events', rules.length ? el('span', { class: 'count' }, ` · log rule matches: ${rules.map((r) => `${r.name} ${num(r.fields.matches)}`).join(', ')}`) : null),
    el(
      'ol',
      { class: 'events', id: 'host-events' },
      ...(h.events.length ? h.events.map((e) => el('li', { dataset: { kind: e.kind, severity: String(e.severity) } }, el('span', { class: 'at' }, hhmmss(e.at_ms)), el('span', { class: 'kind' }, e.kind), el('span', { class: 'text', title: e.text }, e.text))) : [el('li', {}, 'none in the brain’s event ring')]),
    ),
  ];
}

/** Draws the host panel from one answer of GET /api/hosts/ID; `close` is the back button's action. */
export function drawHost(h, close, openIncident) {
  const labels = ['desk', 'colour', 'role', 'floor'].filter((k) => h.labels[k]).map((k) => `${k} ${h.labels[k]}`).join(' · ');
  const link = h.link === 'up' ? `heard ${duration(h.now_ms - h.last_heard_ms)} ago` : h.link === 'silent' ? `SILENT for ${duration(h.now_ms - (h.silent_since_ms ?? h.now_ms))}` : 'DISCONNECTED';
  const head = el(
    'div',
    { class: 'host-head' },
    el('h2', { id: 'host-name' }, h.host, h.host !== h.id ? el('span', { class: 'count' }, ` (${h.id})`) : null),
    el('span', { class: 'host-labels' }, labels),
    el('span', { class: 'host-link', dataset: { link: h.link } }, link),
    el('button', { class: 'close', type: 'button', onclick: close }, 'close'),
  );
  const incidents = h.incidents.length
    ? el('ul', { class: 'host-incidents' }, ...h.incidents.map((i) => el('li', { dataset: { severity: i.severity } }, el('button', { class: 'link', type: 'button', onclick: () => openIncident(i.id) }, i.id), ` ${i.severity.toUpperCase()} ${i.title} (${i.status})`)))
    : null;
  const column = (...parts) => el('div', {}, ...parts.filter(Boolean).flat().filter(Boolean));
  const inv = h.inventory;
  // The fleet inventory the agent reported at connect: what the host is and runs.
  const what = inv
    ? el(
        'div',
        { class: 'host-inventory', id: 'host-inventory' },
        [inv.os, `kernel ${inv.kernel}`, `${inv.cpu_model} × ${inv.cpu_cores}`, `${(inv.memory_bytes / 2 ** 30).toFixed(0)} GiB`, inv.nics.filter((n) => n.driver).map((n) => `${n.name} ${n.speed_mbps > 0 ? `${n.speed_mbps / 1000} Gb/s` : ''} ${n.driver}`).join(', '), `floorwatch ${h.version}`, `config ${inv.config_hash}`]
          .filter(Boolean)
          .join(' · '),
      )
    : null;
  $('host-panel').replaceChildren(head, ...(what ? [what] : []), ...(incidents ? [incidents] : []), el('div', { class: 'host-body' }, column(network(h), memory(h)), column(processes(h), events(h))));
  $('host-panel').dataset.host = h.id;
}
