/**
 * What an alert means on the floor: which host, component, pair or colour it is about, how
 * far up the chain of causes it sits (rank), and its text as a root cause. `explains` is the
 * causal knowledge of issue #5 item 4: a NIC down explains everything on its host and the
 * fail-over of its pairs; a process exit of a plant component explains that component's
 * heartbeat loss, its pair's fail-over and staleness downstream; a whole colour silent
 * explains every host of that colour. A dirty-memory flush storm is a host-level cause of its
 * own (nothing on the network explains it; it explains the other alerts of its host); a slow
 * FIX round trip is a symptom of a NIC down on its host, else its own incident.
 */
import { componentLabel, type ComponentInfo, type Topology } from '../topology/topology.js';

export type FactKind =
  | 'colour'
  | 'nic'
  | 'host-silent'
  | 'flush-storm'
  | 'process'
  | 'heartbeat'
  | 'pair-down'
  | 'failover'
  | 'stale'
  | 'fix-slow'
  | 'fix'
  | 'host-other'
  | 'other';

export interface Fact {
  readonly kind: FactKind;
  /** Higher explains lower: colour 5, nic 4, host silent 3, process/flush storm 2, heartbeat/pair 1, else 0. */
  readonly rank: number;
  readonly host: string | undefined;
  readonly component: ComponentInfo | undefined;
  readonly pair: string | undefined;
  readonly colour: string | undefined;
  /** What groups re-fired alerts of the same cause ("process:fh-host-a/fh-a"). */
  readonly causeKey: string;
  readonly text: string;
  /** A FIX session's alerts (down, heartbeats, resends, round trip): `host/session`. */
  readonly fixSession?: string;
}

const rankOf: Record<FactKind, number> = {
  colour: 5,
  nic: 4,
  'host-silent': 3,
  'flush-storm': 2,
  process: 2,
  heartbeat: 1,
  'pair-down': 1,
  failover: 0,
  stale: 0,
  'fix-slow': 0,
  fix: 0,
  'host-other': 0,
  other: 0,
};

export function classify(alertname: string, labels: Record<string, string>, topo: Topology, detail?: string, summary?: string): Fact {
  const agent = labels['agent'];
  const host = labels['host'] ?? (agent ? topo.hostOfAgent(agent) : undefined);
  const compName = labels['component'];
  const component = compName ? topo.component(compName) : undefined;
  const pair = labels['pair'] ?? component?.pair;
  const colourOf = (h: string | undefined) => (h ? topo.host(h)?.colour : undefined);
  const make = (kind: FactKind, causeKey: string, text: string, over: Partial<Fact> = {}): Fact => ({
    kind,
    rank: rankOf[kind],
    host: host ?? component?.host,
    component,
    pair,
    colour: colourOf(host ?? component?.host),
    causeKey,
    text,
    ...over,
  });
  switch (alertname) {
    case 'NicLinkDown':
      return make('nic', `nic:${host}/${labels['interface']}`, `NIC ${labels['interface'] ?? '?'} down on ${host ?? agent ?? '?'}`);
    case 'AgentSilent': {
      const h = (agent ? topo.hostOfAgent(agent) : undefined) ?? host ?? agent;
      return make('host-silent', `silent:${h}`, `agent ${agent ?? '?'} silent${h && h !== agent ? ` (host ${h})` : ''}`, {
        host: h,
        colour: colourOf(h),
      });
    }
    case 'ProcessExited':
    case 'ProcessGaveUp':
    case 'ProcessCrashLoop': {
      const proc = labels['process'] ?? '?';
      const c = topo.componentByProcess(proc, host);
      const how = alertname === 'ProcessGaveUp' ? 'gave up restarting' : alertname === 'ProcessCrashLoop' ? 'is crash-looping' : 'exited';
      const what = c ? `${componentLabel(c)} ${how}` : `${proc} ${how} on ${host ?? '?'}`;
      return make('process', `process:${host}/${proc}`, detail ? `${what} (${detail})` : what, {
        component: c,
        pair: c?.pair,
        host: host ?? c?.host,
      });
    }
    case 'DirtyMemoryFlushStorm':
      return make('flush-storm', `flush:${host ?? agent}`, summary ?? `dirty memory flush storm on ${host ?? agent ?? '?'}`);
    case 'FixRoundTripSlow': {
      const session = `${host ?? agent}/${labels['session'] ?? ''}`;
      return make(
        'fix-slow',
        `fix:${session}/${labels['file'] ?? ''}`,
        summary ?? `FIX round trip ${labels['session'] ?? '?'} slow on ${host ?? agent ?? '?'}`,
        { fixSession: session },
      );
    }
    case 'FixSessionDown':
    case 'FixHeartbeatsMissed':
    case 'FixResendStorm': {
      const session = `${host ?? agent}/${labels['session'] ?? ''}`;
      return make('fix', `fix:${session}:${alertname}`, summary ?? `${alertname} ${labels['session'] ?? '?'} on ${host ?? agent ?? '?'}`, {
        fixSession: session,
      });
    }
    case 'PlantHeartbeatLost':
      return make('heartbeat', `heartbeat:${compName}`, `${component ? componentLabel(component) : (compName ?? '?')} heartbeat lost`);
    case 'PlantPairDown':
      return make('pair-down', `pair:${pair}`, `both legs of pair ${pair ?? '?'} down`, { component: undefined });
    case 'PlantFailover':
      return make('failover', `failover:${pair}`, `${compName ?? '?'} took over as primary in pair ${pair ?? '?'}`);
    case 'PlantStaleSymbols':
      return make('stale', `stale:${compName}`, summary ?? `${compName ?? '?'}: stale symbols`);
    default:
      return make(
        host || component ? 'host-other' : 'other',
        `alert:${alertname}:${host ?? compName ?? ''}`,
        summary ??
          `${alertname} ${Object.entries(labels)
            .filter(([k]) => k !== 'alertname')
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
      );
  }
}

/** The root fact of a shared-infrastructure incident: a whole checkerboard colour silent. */
export function colourFact(colour: string, silent: number, of: number): Fact {
  return {
    kind: 'colour',
    rank: rankOf.colour,
    host: undefined,
    component: undefined,
    pair: undefined,
    colour,
    causeKey: `colour:${colour}`,
    text: `${silent} of ${of} ${colour} hosts silent at once: shared infrastructure of checkerboard colour ${colour} (hub, power circuit)`,
  };
}

/** Hosts a cause covers: its own host, or every host of its colour. */
function hostsOf(cause: Fact, topo: Topology): Set<string> {
  if (cause.kind === 'colour' && cause.colour) return new Set(topo.hostsOfColour(cause.colour).map((h) => h.name));
  return new Set(cause.host ? [cause.host] : []);
}

/** Components whose loss a fact means: a process or heartbeat its component, a host-level cause everything on its hosts. */
export function legsOf(f: Fact, topo: Topology): ComponentInfo[] {
  if (f.kind === 'process' || f.kind === 'heartbeat') return f.component ? [f.component] : [];
  if (f.kind === 'pair-down' && f.pair) return topo.pairMembers(f.pair);
  if (f.kind === 'nic' || f.kind === 'host-silent' || f.kind === 'colour')
    return [...hostsOf(f, topo)].flatMap((h) => topo.componentsOn(h));
  return [];
}

/** Whether `sym` is explained by an active `cause`. */
export function explains(cause: Fact, sym: Fact, topo: Topology): boolean {
  if (cause.rank <= sym.rank) return false;
  const upstreamHit = (covered: (c: ComponentInfo) => boolean) =>
    sym.kind === 'stale' &&
    sym.component !== undefined &&
    [...topo.components()].some((c) => covered(c) && topo.downstreamOf(c.name).has(sym.component!.name));
  const pairHit = (covered: (c: ComponentInfo) => boolean) =>
    sym.pair !== undefined && (sym.kind === 'failover' || sym.kind === 'pair-down') && topo.pairMembers(sym.pair).some(covered);
  if (cause.kind === 'colour' || cause.kind === 'nic' || cause.kind === 'host-silent') {
    // A process that exits on its own is its own cause, even on a host whose NIC is down; so is a flush storm.
    if (sym.kind === 'process' || sym.kind === 'flush-storm') return false;
    // A host test, not the set of the colour's hosts: an alert storm asks this once per silent host.
    const colour = cause.kind === 'colour' ? cause.colour : undefined;
    const onHost =
      colour !== undefined ? (h: string) => topo.host(h)?.colour === colour : (h: string) => cause.host !== undefined && h === cause.host;
    const onHosts = (c: ComponentInfo) => onHost(c.host);
    return (
      (sym.host !== undefined && onHost(sym.host)) ||
      (sym.component !== undefined && onHosts(sym.component)) ||
      pairHit(onHosts) ||
      upstreamHit(onHosts)
    );
  }
  // A flush storm stalls whatever writes on its host; a slow FIX round trip stays its own incident.
  if (cause.kind === 'flush-storm') return sym.kind === 'host-other' && cause.host !== undefined && sym.host === cause.host;
  const legs = new Set(legsOf(cause, topo).map((c) => c.name));
  const isLeg = (c: ComponentInfo) => legs.has(c.name);
  if (sym.kind === 'heartbeat' || sym.kind === 'stale' || sym.kind === 'failover' || sym.kind === 'host-other' || sym.kind === 'other') {
    if (sym.component && isLeg(sym.component) && sym.kind !== 'failover') return true;
  }
  return pairHit(isLeg) || upstreamHit(isLeg);
}

/** Whether two causes take legs of the same pair: they are one incident (redundancy lost). */
export function sharesPair(a: Fact, b: Fact, topo: Topology): boolean {
  if (a.rank < 1 || b.rank < 1) return false;
  // Different legs of one pair: the same leg twice (a late NIC under a lost heartbeat) is not redundancy lost.
  const legsA = legsOf(a, topo);
  const namesA = new Set(legsA.map((c) => c.name));
  const pairs = new Set(legsA.map((c) => c.pair).filter((p) => p !== undefined));
  return legsOf(b, topo).some((c) => c.pair !== undefined && pairs.has(c.pair) && !namesA.has(c.name));
}

/** Two alerts about one FIX session (down, heartbeats missed, resends, slow): one incident. */
export function sameFixSession(a: Fact, b: Fact): boolean {
  return a.fixSession !== undefined && a.fixSession === b.fixSession;
}
