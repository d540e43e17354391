/** The brain's HTTP API as the drills use it: incidents, series, agents, health. */
import type { Incident } from '../../brain/incidents/incident.js';

export type { Incident };

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface SeriesPoint {
  agent: string;
  tags: Record<string, string>;
  value: number;
  time_us: number;
}

export interface AgentInfo {
  id: string;
  labels: Record<string, string>;
  connected: boolean;
  silent_since_ms: number | null;
}

export interface StoreHealth {
  kind: string;
  up?: boolean;
  forwarded_lines?: number;
  rejected_lines?: number;
  spool_appended_lines?: number;
  spool_dropped_lines?: number;
}

/** A page the brain handed to a channel, read from the incident's timeline. */
export interface DeliveredPage {
  at: number;
  channel: string;
  step: number;
  kind: string;
  person: string;
}

export class BrainApi {
  constructor(readonly url: string) {}

  /** Every incident id the brain still holds, resolved (and merged) ones included. */
  async incidentIds(): Promise<Set<string>> {
    const lists = await Promise.all(
      ['active', 'resolved'].map((s) => getJson<{ id: string }[]>(`${this.url}/api/incidents?status=${s}&limit=10000`)),
    );
    return new Set(lists.flat().map((i) => i.id));
  }

  activeIncidents(): Promise<{ id: string; title: string; severity: string }[]> {
    return getJson<{ id: string; title: string; severity: string }[]>(`${this.url}/api/incidents?status=active`);
  }

  incident(id: string): Promise<Incident> {
    return getJson<Incident>(`${this.url}/api/incidents/${encodeURIComponent(id)}`);
  }

  series(measurement: string, field: string): Promise<SeriesPoint[]> {
    return getJson<SeriesPoint[]>(
      `${this.url}/api/series?measurement=${encodeURIComponent(measurement)}&field=${encodeURIComponent(field)}`,
    );
  }

  agents(): Promise<AgentInfo[]> {
    return getJson<AgentInfo[]>(`${this.url}/api/agents`);
  }

  async store(): Promise<StoreHealth> {
    return (await getJson<{ store: StoreHealth }>(`${this.url}/api/health`)).store;
  }
}

/** "delivered by snpp (INC-0001/0/page/alice)", then ": first page" (why it went) since #14. */
const DELIVERED = /^delivered by (\S+) \(([^/]+)\/(\d+)\/([^/]+)\/([^)]+)\)(?:: .*)?$/;

export function deliveredPages(inc: Incident): DeliveredPage[] {
  return inc.timeline.flatMap((e) => {
    const m = e.kind === 'page' ? DELIVERED.exec(e.text) : null;
    return m ? [{ at: e.at, channel: m[1]!, step: Number(m[3]), kind: decodeURIComponent(m[4]!), person: decodeURIComponent(m[5]!) }] : [];
  });
}
