/**
 * One endpoint of the brain's HTTP side: method, path, the action it performs (brain/access/
 * roles.ts decides who may), and its declared query parameters and body fields. The dispatcher
 * (api.ts) authenticates, authorises, checks and parses before `handle` runs, so a handler sees
 * only valid values and the caller's identity.
 */
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { AccessControl, Identity } from '../access/access.js';
import type { Action } from '../access/roles.js';
import type { IncidentApi } from '../incidents/api.js';
import type { AgentRegistry } from '../ingest/agents.js';
import type { EventLog } from '../state/event-log.js';
import type { SeriesTable } from '../state/series-table.js';
import type { ParamSpec, Values } from './params.js';

export interface ApiDeps {
  brainId: string;
  version: string;
  /** Digest (lib/short-hash.ts) of the agent configuration this brain pushes; "" when it pushes none. */
  agentConfigHash?: string;
  agents: AgentRegistry;
  series: SeriesTable;
  events: EventLog;
  metrics: MetricsRegistry;
  incidents: IncidentApi;
  store: () => Record<string, unknown>;
  startedMs: number;
  now: () => number;
  /** Each market's trading phase now (from the rules' calendar), for the wall board. */
  phases?: () => Record<string, string>;
  access: AccessControl;
  /** Host names this brain answers to besides IP addresses and localhost (lower case). */
  hosts: ReadonlySet<string>;
  /** Origins besides this brain's own that may send writes (lower case). */
  origins: ReadonlySet<string>;
  /** Admin: the effective config with every secret replaced. */
  config?: () => unknown;
  /** A brain pair's state (role, term, the other members, replication): absent for a single brain. */
  pair?: () => unknown;
  /** Admin: reload the rule files now (they also reload on change). */
  reloadRules?: () => { ok: boolean; message?: string; groups?: number; rules?: number };
}

export interface RouteContext {
  /** The path's capture groups. */
  readonly params: readonly string[];
  readonly query: Values;
  readonly body: Values;
  /** Undefined only on public routes, for a caller who gave no credentials. */
  readonly who: Identity | undefined;
  readonly deps: ApiDeps;
  /** Whether this server speaks TLS (cookies get `Secure`). */
  readonly tls: boolean;
}

export interface RouteReply {
  status?: number;
  body: unknown;
  /** JSON unless given. */
  type?: string;
  headers?: Record<string, string>;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string | RegExp;
  /** `public`: anyone (the board's static files, the login itself). */
  readonly action: Action | 'public';
  readonly query?: ParamSpec;
  readonly body?: ParamSpec;
  handle(c: RouteContext): RouteReply | Promise<RouteReply>;
}

/** The path's captures when `route` serves `path` (any method), else undefined. */
export function matchPath(route: Route, path: string): string[] | undefined {
  if (typeof route.path === 'string') return route.path === path ? [] : undefined;
  const m = route.path.exec(path);
  return m ? m.slice(1) : undefined;
}
