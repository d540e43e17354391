/**
 * The floor as the brain knows it: hosts with their floor, desk, checkerboard colour and role,
 * and the plant's components with their host, pair and dependencies (provider → feed handlers →
 * ticker plants → subscribers). Declared in the topology file and enriched by what agents
 * announce (their host and labels), so a workstation nobody declared still has a colour.
 * The correlator asks it "what is on this host", "who is downstream of X", "which colour".
 */
import type { ComponentKind, TopologySpec } from './topology-file.js';

export interface HostInfo {
  readonly name: string;
  floor: string | undefined;
  desk: string | undefined;
  colour: string | undefined;
  role: string | undefined;
  nics: string[];
  /** Agents that announced this host. */
  agents: Set<string>;
}

export interface ComponentInfo {
  readonly name: string;
  readonly kind: ComponentKind;
  readonly host: string;
  readonly pair: string | undefined;
  readonly process: string;
  readonly dependsOn: readonly string[];
}

/** What an agent announces: the AgentRegistry's records have this shape. */
export interface AnnouncedAgent {
  readonly id: string;
  readonly host: string;
  readonly labels: Record<string, string>;
}

const kindNames: Record<ComponentKind, string> = {
  provider: 'provider',
  feed_handler: 'feed handler',
  ticker_plant: 'ticker plant',
  subscriber: 'subscriber',
};

/** "feed handler", "ticker plant": how a root cause names a component's kind. */
export function kindName(kind: ComponentKind): string {
  return kindNames[kind];
}

/** "feed handler fh-a"; a component named after its kind is just "provider", not "provider provider". */
export function componentLabel(c: { kind: ComponentKind; name: string }): string {
  const kind = kindName(c.kind);
  return c.name.toLowerCase() === kind.toLowerCase() ? c.name : `${kind} ${c.name}`;
}

export class Topology {
  readonly #hosts = new Map<string, HostInfo>();
  readonly #components = new Map<string, ComponentInfo>();
  readonly #agentHost = new Map<string, string>();

  constructor(spec: TopologySpec = { hosts: {}, components: {} }) {
    for (const [name, h] of Object.entries(spec.hosts)) {
      this.#hosts.set(name, {
        name,
        floor: h.floor,
        desk: h.desk,
        colour: h.colour,
        role: h.role,
        nics: [...(h.nics ?? [])],
        agents: new Set(),
      });
    }
    for (const [name, c] of Object.entries(spec.components)) {
      this.#components.set(name, {
        name,
        kind: c.kind,
        host: c.host,
        pair: c.pair,
        process: c.process ?? name,
        dependsOn: [...(c.depends_on ?? [])],
      });
    }
  }

  /**
   * Takes what an agent announced (AgentRegistry records: host and labels floor/desk/colour/role).
   * Declared values win; an agent fills in what the file left out, and adds undeclared hosts.
   */
  announce(a: AnnouncedAgent): void {
    const hostName = a.host || a.id;
    this.#agentHost.set(a.id, hostName);
    let h = this.#hosts.get(hostName);
    if (!h) {
      h = { name: hostName, floor: undefined, desk: undefined, colour: undefined, role: undefined, nics: [], agents: new Set() };
      this.#hosts.set(hostName, h);
    }
    h.agents.add(a.id);
    h.floor ??= a.labels['floor'];
    h.desk ??= a.labels['desk'];
    h.colour ??= a.labels['colour'] ?? a.labels['color'];
    h.role ??= a.labels['role'];
  }

  /** Announces every agent a registry knows (call on start and whenever agents connect). */
  announceAll(agents: Iterable<AnnouncedAgent>): void {
    for (const a of agents) this.announce(a);
  }

  host(name: string): HostInfo | undefined {
    return this.#hosts.get(name);
  }

  hosts(): IterableIterator<HostInfo> {
    return this.#hosts.values();
  }

  /** The host an agent runs on: announced, else a declared host of the same name. */
  hostOfAgent(agentId: string): string | undefined {
    return this.#agentHost.get(agentId) ?? (this.#hosts.has(agentId) ? agentId : undefined);
  }

  component(name: string): ComponentInfo | undefined {
    return this.#components.get(name);
  }

  components(): IterableIterator<ComponentInfo> {
    return this.#components.values();
  }

  /** The component a wrapped process is, by its process name (and host when known). */
  componentByProcess(process: string, host?: string): ComponentInfo | undefined {
    for (const c of this.#components.values()) if (c.process === process && (host === undefined || c.host === host)) return c;
    return host === undefined ? undefined : this.componentByProcess(process);
  }

  componentsOn(host: string): ComponentInfo[] {
    return [...this.#components.values()].filter((c) => c.host === host);
  }

  /** The legs of a fault-tolerant pair. */
  pairMembers(pair: string): ComponentInfo[] {
    return [...this.#components.values()].filter((c) => c.pair === pair);
  }

  /** Every component that depends on `name`, directly or not. */
  downstreamOf(name: string): Set<string> {
    const out = new Set<string>();
    const walk = (n: string) => {
      for (const c of this.#components.values()) {
        if (c.dependsOn.includes(n) && !out.has(c.name)) {
          out.add(c.name);
          walk(c.name);
        }
      }
    };
    walk(name);
    return out;
  }

  /** Hosts of one checkerboard colour. */
  hostsOfColour(colour: string): HostInfo[] {
    return [...this.#hosts.values()].filter((h) => h.colour === colour);
  }
}
