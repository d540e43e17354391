/**
 * Routing: which schedule, escalation, channels and urgency an incident's pages use. A flat,
 * explicit list (Alertmanager's route tree without nesting): the first route whose `match`
 * holds wins; a route without `match` matches everything; when none matches, the paging
 * section's own schedule and escalation apply (the default route).
 *
 * Pure: `routeFor(routes, facts, phase)` depends on nothing else, and `routingFacts` reads an
 * incident. Paging evaluates it at the incident's opening instant, so a brain restart picks
 * the same route for the same incident.
 */
import type { Phase } from '../calendar/phase.js';
import type { Incident, Severity } from '../incidents/incident.js';

/** A condition on one fact; each list is "any of", `*` in a pattern matches any run of characters. */
export interface RouteMatch {
  readonly severity?: readonly Severity[];
  readonly phase?: readonly Phase[];
  readonly team?: readonly string[];
  readonly component?: readonly string[];
  readonly host?: readonly string[];
  /** Every label named must be present on a root alert with a value matching one pattern. */
  readonly labels?: Readonly<Record<string, readonly string[]>>;
}

export type ChannelName = 'snpp' | 'email' | 'webhook';
/** high: pager first, full escalation; low: mail only, first step only, no reminders. */
export type Urgency = 'high' | 'low';

export interface EscalationSettings {
  readonly steps: readonly { readonly tier: 'first-line' | 'back-line' | 'support-manager'; readonly after_s: number }[];
  readonly repeat_every_s: number;
  readonly max_repeats: number;
}

export interface Route {
  readonly name: string;
  readonly match?: RouteMatch;
  readonly urgency: Urgency;
  /** On-call file for this route; absent: the paging section's `schedule`. */
  readonly schedule?: string;
  /** Channel chain, in fallback order; absent: by urgency (high: snpp, email; low: email). */
  readonly channels?: readonly ChannelName[];
  readonly escalation?: EscalationSettings;
}

/** What routing looks at, read off an incident's root alerts and impact. */
export interface RoutingFacts {
  readonly severity: Severity;
  readonly teams: readonly string[];
  readonly components: readonly string[];
  readonly hosts: readonly string[];
  /** Every value each label takes over the root alerts. */
  readonly labels: ReadonlyMap<string, readonly string[]>;
}

export const DEFAULT_ROUTE_NAME = 'default';

export function routingFacts(inc: Pick<Incident, 'severity' | 'roots' | 'impact'>): RoutingFacts {
  const labels = new Map<string, string[]>();
  for (const root of inc.roots) {
    for (const [k, v] of Object.entries(root.labels)) {
      const values = labels.get(k) ?? [];
      if (!values.includes(v)) values.push(v);
      labels.set(k, values);
    }
  }
  const union = (a: readonly string[], b: readonly string[] | undefined) => [...new Set([...a, ...(b ?? [])])];
  return {
    severity: inc.severity,
    teams: labels.get('team') ?? [],
    components: union(inc.impact.components, labels.get('component') ?? labels.get('process')),
    hosts: union(inc.impact.hosts, labels.get('host')),
    labels,
  };
}

/** The first matching route, or undefined for the default route. */
export function routeFor(routes: readonly Route[], facts: RoutingFacts, phase: Phase | undefined): Route | undefined {
  return routes.find((r) => r.match === undefined || matches(r.match, facts, phase));
}

/** `phase` is undefined when the brain has no calendar: a route that names phases never matches then. */
export function matches(m: RouteMatch, facts: RoutingFacts, phase: Phase | undefined): boolean {
  if (m.severity && !m.severity.includes(facts.severity)) return false;
  if (m.phase && (phase === undefined || !m.phase.includes(phase))) return false;
  if (m.team && !anyMatches(m.team, facts.teams)) return false;
  if (m.component && !anyMatches(m.component, facts.components)) return false;
  if (m.host && !anyMatches(m.host, facts.hosts)) return false;
  for (const [label, patterns] of Object.entries(m.labels ?? {})) {
    if (!anyMatches(patterns, facts.labels.get(label) ?? [])) return false;
  }
  return true;
}

/** The channel chain a route's pages take. */
export function channelsOf(route: Pick<Route, 'urgency' | 'channels'> | undefined): readonly ChannelName[] {
  if (route?.channels) return route.channels;
  return route?.urgency === 'low' ? ['email'] : ['snpp', 'email'];
}

function anyMatches(patterns: readonly string[], values: readonly string[]): boolean {
  return patterns.some((p) => {
    const re = glob(p);
    return values.some((v) => re.test(v));
  });
}

/** Compiled once per pattern; patterns come only from the config file, so this stays small. */
const globs = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    globs.set(pattern, re);
  }
  return re;
}
