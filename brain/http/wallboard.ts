/**
 * GET /api/wallboard: everything the first-line wall board shows, in one answer, so a screen
 * polling every second costs the brain one small walk (active incidents, agents, the plant's
 * latest heartbeat per component) and not four API calls.
 */
import type { Incident, Severity } from '../incidents/incident.js';
import type { ApiDeps } from './route.js';

export interface WallboardIncident {
  id: string;
  status: Incident['status'];
  severity: Severity;
  title: string;
  opened_ms: number;
  resolved_ms: number | null;
  acked_by: string | null;
  roots: string[];
  symptoms: { text: string; state: 'firing' | 'resolved' }[];
  pages_held_back: string | null;
  timeline: { at_ms: number; kind: string; text: string; by: string | null; for_clients: boolean }[];
}

export interface WallboardComponent {
  component: string;
  kind: string;
  pair: string | null;
  role: string | null;
  state: string;
  heartbeat_age_ms: number;
  in_per_s: number | null;
  out_per_s: number | null;
  latency_p99_us: number | null;
  gaps_unrecoverable: number | null;
  stale_symbols: number | null;
}

/** One host on the floor panel: where it sits (desk, checkerboard colour) and how it is. */
export interface WallboardHost {
  id: string;
  host: string;
  desk: string | null;
  colour: string | null;
  role: string | null;
  /** `silent`: connected but nothing heard; `down`: not connected. */
  link: 'up' | 'silent' | 'down';
  /** The worst active incident touching it (by its impact), `silent`/`down` for its link, else ok. */
  health: Severity | 'ok' | 'silent' | 'down';
  /** The active incidents touching it, worst first (ids). */
  incidents: string[];
}

export interface Wallboard {
  now_ms: number;
  brain: { id: string; version: string; uptime_s: number };
  /** The worst active incident's severity, or ok. */
  status: Severity | 'ok';
  phases: Record<string, string>;
  agents: {
    known: number;
    connected: number;
    by_colour: Record<string, { known: number; connected: number }>;
    silent: { id: string; host: string; colour: string | null; since_ms: number | null }[];
  };
  samples_ingested: number;
  store: Record<string, unknown>;
  plant: WallboardComponent[];
  /** Every host, by desk, colour and name. */
  hosts: WallboardHost[];
  incidents: { active: WallboardIncident[]; resolved: WallboardIncident[] };
  /** The brain pair (role, term, members heard), when this brain is one of a pair. */
  pair?: unknown;
}

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'major', 'minor', 'warning', 'info'];
/** plant-health.ts's state codes. */
const PLANT_STATES = ['ok', 'starting', 'degraded', 'stale', 'down'];
const TIMELINE_SHOWN = 30;
const PLANT_FIELDS = ['state', 'primary', 'in_per_s', 'out_per_s', 'latency_p99_us', 'gaps_unrecoverable', 'stale_symbols'];

export function wallboard(d: ApiDeps): Wallboard {
  const now = d.now();
  const activeFull = d.incidents.list({ status: 'active', limit: 50 }).map((s) => d.incidents.get(s.id));
  const active = activeFull.map(incidentView);
  const resolved = d.incidents.list({ status: 'resolved', limit: 5 }).map((s) => incidentView(d.incidents.get(s.id)));
  const worst = SEVERITY_ORDER.find((sev) => active.some((i) => i.severity === sev));
  return {
    now_ms: now,
    brain: { id: d.brainId, version: d.version, uptime_s: Math.round((now - d.startedMs) / 1000) },
    status: worst ?? 'ok',
    phases: d.phases?.() ?? {},
    agents: agentsView(d),
    samples_ingested: [...d.agents.all()].reduce((n, a) => n + a.samplesReceived, 0),
    store: d.store(),
    plant: plantView(d, now),
    hosts: hostsView(d, activeFull),
    incidents: { active, resolved },
    ...(d.pair ? { pair: d.pair() } : {}),
  };
}

function incidentView(i: Incident): WallboardIncident {
  return {
    id: i.id,
    status: i.status,
    severity: i.severity,
    title: i.title,
    opened_ms: i.openedAt,
    resolved_ms: i.resolvedAt ?? null,
    acked_by: i.ackedBy ?? null,
    roots: i.roots.map((r) => r.text),
    symptoms: i.symptoms.map((s) => ({ text: s.text, state: s.state })),
    pages_held_back: i.silence ? `silenced by ${i.silence.by}: ${i.silence.reason}` : null,
    timeline: i.timeline
      .slice(-TIMELINE_SHOWN)
      .map((e) => ({ at_ms: e.at, kind: e.kind, text: e.text, by: e.by ?? null, for_clients: e.forClients === true })),
  };
}

function agentsView(d: ApiDeps): Wallboard['agents'] {
  const view: Wallboard['agents'] = { known: 0, connected: 0, by_colour: {}, silent: [] };
  for (const a of d.agents.all()) {
    const colour = a.labels['colour'] ?? null;
    const c = (view.by_colour[colour ?? 'none'] ??= { known: 0, connected: 0 });
    view.known++;
    c.known++;
    if (a.connected && a.silentSinceMs === undefined) {
      view.connected++;
      c.connected++;
    } else {
      view.silent.push({ id: a.id, host: a.host, colour, since_ms: a.silentSinceMs ?? null });
    }
  }
  return view;
}

/** Active incidents by the hosts they touch (their impact, or the host named in a cause key), worst first. */
export function incidentsByHost(active: readonly Incident[]): Map<string, Incident[]> {
  const byHost = new Map<string, Incident[]>();
  for (const i of active) {
    const hosts = new Set(i.impact?.hosts ?? []);
    // "process:fh-host-a/fh-a", "nic:tp-host-a/eth1": the host before the slash.
    for (const k of i.causeKeys ?? []) {
      const m = /^[a-z-]+:([^/]+)\//.exec(k);
      if (m) hosts.add(m[1]!);
    }
    for (const h of hosts) {
      const list = byHost.get(h) ?? [];
      list.push(i);
      byHost.set(h, list);
    }
  }
  for (const list of byHost.values()) list.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  return byHost;
}

export function linkOf(a: { connected: boolean; silentSinceMs: number | undefined }): WallboardHost['link'] {
  if (!a.connected) return 'down';
  return a.silentSinceMs === undefined ? 'up' : 'silent';
}

function hostsView(d: ApiDeps, active: readonly Incident[]): WallboardHost[] {
  const byHost = incidentsByHost(active);
  const hosts: WallboardHost[] = [];
  for (const a of d.agents.all()) {
    const touching = byHost.get(a.host) ?? (a.host !== a.id ? byHost.get(a.id) : undefined) ?? [];
    const link = linkOf(a);
    hosts.push({
      id: a.id,
      host: a.host,
      desk: a.labels['desk'] ?? null,
      colour: a.labels['colour'] ?? null,
      role: a.labels['role'] ?? null,
      link,
      health: link !== 'up' ? link : (touching[0]?.severity ?? 'ok'),
      incidents: touching.map((i) => i.id),
    });
  }
  const key = (h: WallboardHost) => `${h.desk ?? '\uffff'}\u0000${h.colour ?? '\uffff'}\u0000${h.host}`;
  return hosts.sort((a, b) => key(a).localeCompare(key(b)));
}

/** One row per plant component, from its health heartbeat's series (plant-health.ts). */
function plantView(d: ApiDeps, now: number): WallboardComponent[] {
  const rows = new Map<string, { tags: Readonly<Record<string, string>>; atUs: number; fields: Map<string, number> }>();
  // By name, not a scan: at 5,000 agents the table holds 250,000 series and the board asks every second.
  for (const field of PLANT_FIELDS) {
    for (const s of d.series.named('plant', field)) {
      const component = s.tags['component'];
      if (!component) continue;
      const row = rows.get(component) ?? { tags: s.tags, atUs: 0, fields: new Map<string, number>() };
      rows.set(component, row);
      row.atUs = Math.max(row.atUs, s.lastUs);
      row.fields.set(field, s.last);
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([component, r]) => {
      const num = (f: string) => (Number.isFinite(r.fields.get(f)) ? r.fields.get(f)! : null);
      const pair = r.tags['pair'] || null;
      return {
        component,
        kind: r.tags['kind'] ?? 'component',
        pair,
        role: pair === null ? null : num('primary') === 1 ? 'primary' : 'secondary',
        state: PLANT_STATES[num('state') ?? -1] ?? 'unknown',
        heartbeat_age_ms: Math.max(0, Math.round(now - r.atUs / 1000)),
        in_per_s: num('in_per_s'),
        out_per_s: num('out_per_s'),
        latency_p99_us: num('latency_p99_us'),
        gaps_unrecoverable: num('gaps_unrecoverable'),
        stale_symbols: num('stale_symbols'),
      };
    });
}
