/**
 * Severity follows redundancy (issue #5, item 4): one leg of a pair lost is major ("restore
 * now, nothing lost yet"), both legs critical. Also the incident's impact (hosts, components,
 * pairs, colour) and its title, the root cause in words.
 */
import type { Impact, Severity } from '../incidents/incident.js';
import { worse } from '../incidents/incident.js';
import { kindName, type Topology } from '../topology/topology.js';
import { legsOf, type Fact } from './facts.js';

export interface Assessment {
  severity: Severity;
  impact: Impact;
  title: string;
}

export function assess(roots: readonly Fact[], symptoms: readonly Fact[], rootSeverities: readonly Severity[], topo: Topology): Assessment {
  const all = [...roots, ...symptoms];
  // A leg is down when a cause takes it or its heartbeat is lost (a fail-over alone loses no leg).
  const down = new Set<string>();
  for (const f of all) if (f.kind !== 'pair-down') for (const c of legsOf(f, topo)) down.add(c.name);
  const pairsDownBoth = new Set(all.filter((f) => f.kind === 'pair-down' && f.pair).map((f) => f.pair!));
  const pairNames = new Set<string>(pairsDownBoth);
  for (const name of down) {
    const p = topo.component(name)?.pair;
    if (p) pairNames.add(p);
  }
  const pairs = [...pairNames].sort().map((pair) => {
    const legs = topo.pairMembers(pair);
    const legsDown = pairsDownBoth.has(pair) ? legs.length : legs.filter((c) => down.has(c.name)).length;
    return { pair, legsDown, legs: Math.max(legs.length, legsDown) };
  });
  let severity: Severity = rootSeverities.reduce<Severity>((a, b) => worse(a, b), 'info');
  if (pairs.some((p) => p.legsDown > 0)) severity = 'major';
  if (pairs.some((p) => p.legs > 0 && p.legsDown >= p.legs)) severity = 'critical';
  const hosts = new Set<string>();
  for (const f of all) {
    if (f.host) hosts.add(f.host);
    if (f.component) hosts.add(f.component.host);
  }
  const colour = roots.find((r) => r.kind === 'colour')?.colour;
  const impact: Impact = { hosts: [...hosts].sort(), components: [...down].sort(), pairs, ...(colour ? { colour } : {}) };
  return { severity, impact, title: titleOf(roots, pairs, topo) };
}

function titleOf(roots: readonly Fact[], pairs: Impact['pairs'], topo: Topology): string {
  const texts = roots.map((r) => r.text);
  if (roots.length < 2) return texts[0] ?? 'unknown cause';
  const both = pairs.find((p) => p.legs > 1 && p.legsDown >= p.legs);
  const kind = both ? topo.pairMembers(both.pair)[0]?.kind : undefined;
  const head = both ? `both ${kind ? kindName(kind) + 's' : 'legs'} of pair ${both.pair} down: ` : '';
  return head + texts.join('; ');
}
