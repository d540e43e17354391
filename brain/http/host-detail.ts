/**
 * GET /api/hosts/ID: one host as the wall board shows it after a click: where it sits, its link
 * and the incidents touching it, the latest value of its NICs and bonds, memory and disks,
 * wrapped and watched processes, log rules; the last minutes of its charted series from the
 * brain's memory (brain/state/recent-ring.ts); and its recent events. Built from the series
 * table's per-agent index and the event ring: no scan of the whole floor.
 */
import type { Severity } from '../incidents/incident.js';
import type { HostInventoryView } from '../ingest/agents.js';
import type { RecentPoints } from '../state/recent-ring.js';
import { Refusal } from './guard.js';
import type { ApiDeps } from './route.js';
import { incidentsByHost, linkOf, type WallboardHost } from './wallboard.js';

/** measurement → the tag naming one row of it (memory has one row per host). */
const GROUPS: Readonly<Record<string, string | null>> = {
  nic: 'interface',
  bond: 'bond',
  bond_slave: 'slave',
  memory: null,
  disk: 'device',
  process: 'process',
  process_watch: 'watch',
  log_rule: 'rule',
  agent: null,
};
const EVENTS_SHOWN = 25;
const EVENT_TEXT_MAX = 300;

export interface HostRow {
  name: string;
  /** Other tags that tell rows apart (a bond slave's bond). */
  tags: Record<string, string>;
  fields: Record<string, number | null>;
}

export interface HostChart extends RecentPoints {
  measurement: string;
  name: string;
  field: string;
}

export interface HostEvent {
  id: number;
  at_ms: number;
  kind: string;
  severity: number;
  /** Tags and attributes in a line: `rule=errors line="..."`. */
  text: string;
}

export interface HostDetail {
  now_ms: number;
  id: string;
  host: string;
  labels: Record<string, string>;
  version: string;
  /** What the host is, as its agent reported at connect (the fleet inventory); null until it does. */
  inventory: HostInventoryView | null;
  link: WallboardHost['link'];
  last_heard_ms: number;
  silent_since_ms: number | null;
  incidents: { id: string; severity: Severity; status: string; title: string }[];
  groups: Record<string, HostRow[]>;
  charts: HostChart[];
  events: HostEvent[];
}

export function hostDetail(d: ApiDeps, id: string): HostDetail {
  const agent = d.agents.get(id);
  if (!agent) throw new Refusal(404, `no agent ${id.slice(0, 64)}`, 'not_found');
  const now = d.now();
  const groups: Record<string, Map<string, HostRow>> = {};
  const charts: HostChart[] = [];
  for (const s of d.series.ofAgent(id)) {
    const tag = GROUPS[s.measurement];
    if (tag === undefined) continue;
    const name = tag === null ? '' : (s.tags[tag] ?? '');
    const rows = (groups[s.measurement] ??= new Map());
    let row = rows.get(name);
    if (!row) {
      row = { name, tags: s.measurement === 'bond_slave' ? { bond: s.tags['bond'] ?? '' } : {}, fields: {} };
      rows.set(name, row);
    }
    row.fields[s.field] = Number.isFinite(s.last) ? s.last : null;
    if (s.recent) charts.push({ measurement: s.measurement, name, field: s.field, ...s.recent.points(now) });
  }
  const active = d.incidents.list({ status: 'active', limit: 50 }).map((s) => d.incidents.get(s.id));
  const byHost = incidentsByHost(active);
  const touching = byHost.get(agent.host) ?? byHost.get(agent.id) ?? [];
  return {
    now_ms: now,
    id: agent.id,
    host: agent.host,
    labels: agent.labels,
    version: agent.softwareVersion,
    inventory: agent.inventory ?? null,
    link: linkOf(agent),
    last_heard_ms: agent.lastHeardMs,
    silent_since_ms: agent.silentSinceMs ?? null,
    incidents: touching.map((i) => ({ id: i.id, severity: i.severity, status: i.status, title: i.title })),
    groups: Object.fromEntries(
      Object.entries(groups).map(([m, rows]) => [m, [...rows.values()].sort((a, b) => a.name.localeCompare(b.name))]),
    ),
    charts,
    events: d.events
      .recent({ agentId: id, limit: EVENTS_SHOWN })
      .reverse()
      .map((e) => ({
        id: e.id,
        at_ms: Math.round(e.timeUs / 1000),
        kind: e.kind,
        severity: e.severity,
        text: eventText(e.tags, e.attrs),
      })),
  };
}

/** Tags then attributes in a line; a log line first after its rule, file paths last (they are long and say least). */
function eventText(tags: Record<string, string>, attrs: Record<string, string>): string {
  const rank = ([k]: [string, string]) => (k === 'file' ? 2 : k === 'line' ? 0 : 1);
  const entries = [
    ...Object.entries(tags).filter(([k]) => k !== 'file'),
    ...Object.entries(attrs).sort((a, b) => rank(a) - rank(b)),
    ...Object.entries(tags).filter(([k]) => k === 'file'),
  ];
  const parts = entries.map(([k, v]) => `${k}=${/[\s"]/.test(v) ? JSON.stringify(v) : v}`);
  const text = parts.join(' ');
  return text.length > EVENT_TEXT_MAX ? `${text.slice(0, EVENT_TEXT_MAX - 1)}…` : text;
}
