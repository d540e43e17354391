/**
 * NIC and bonding sampler. The poll reports every interface's link, speed, MTU and traffic
 * counters with per-second rates; between polls a fast link watch re-reads only operstate and
 * carrier (and each bond's state), so a link loss or fail-over reaches the brain within 250 ms.
 */
import type { Timer } from '../../../lib/clock.js';
import type { Emit, EventSampler, SamplerDeps } from '../../sampler.js';
import type { SamplerPlugin } from '../plugin.js';
import { BondReader, listBonds, type BondState } from './bond.js';
import { nameFilter } from '../../../lib/glob.js';
import { errnoOf } from './kept-file.js';
import { LinkMonitor } from './link-monitor.js';
import { RateTracker } from './rate.js';
import { SysClassNetInterface, counterFiles, listInterfaces, operStatusCode, type LinkState } from './sys-class-net.js';

export interface NicConfig {
  enabled: boolean;
  /** Read by the agent core, which owns the polling schedule. */
  interval_ms: number;
  include: string[];
  exclude: string[];
  watch_interval_ms: number;
  /** netlink: woken by the kernel on a link change (default); poll: every watch_interval_ms. */
  link_watch: 'netlink' | 'poll';
  bonds: boolean;
}

const MAJOR = 3;
const CRITICAL = 4;
const INFO = 0;

export class NicSampler implements EventSampler {
  readonly name = 'nic';
  readonly #config: NicConfig;
  readonly #deps: SamplerDeps;
  readonly #wanted: (name: string) => boolean;
  readonly #ifaces = new Map<string, SysClassNetInterface>();
  readonly #links = new Map<string, LinkState>();
  readonly #bonds = new Map<string, BondReader>();
  readonly #bondStates = new Map<string, { state: BondState; activeChanges: number }>();
  readonly #rates = new RateTracker();
  #watch: Timer | undefined;
  #monitor: LinkMonitor | undefined;

  constructor(config: NicConfig, deps: SamplerDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#wanted = nameFilter(config.include, config.exclude);
  }

  sample(emit: Emit): void {
    this.#discover(emit);
    const timeUs = this.#deps.clock.nowUs();
    const atMs = this.#deps.clock.monotonic();
    for (const iface of [...this.#ifaces.values()]) this.#sampleInterface(iface, emit, timeUs, atMs);
    this.#rates.prune();
    for (const bond of [...this.#bonds.values()]) this.#sampleBond(bond, emit, timeUs);
  }

  start(emit: Emit): void {
    this.#discover(emit);
    this.#checkLinks(emit);
    // netlink only describes the real /sys: fixture trees (tests, bonds here) are polled.
    if (this.#config.link_watch === 'netlink' && this.#deps.sysRoot === '/sys') {
      this.#monitor = new LinkMonitor(
        this.#deps.clock,
        () => this.#checkLinks(emit),
        (reason) => {
          emit.error(new Error(`${reason}; polling links every ${this.#config.watch_interval_ms} ms meanwhile`));
          this.#poll(emit);
        },
      );
      this.#monitor.start();
    } else {
      this.#poll(emit);
    }
  }

  #poll(emit: Emit): void {
    this.#watch ??= this.#deps.clock.setInterval(() => this.#checkLinks(emit), this.#config.watch_interval_ms);
  }

  stop(): void {
    this.#monitor?.stop();
    this.#monitor = undefined;
    this.#watch?.cancel();
    this.#watch = undefined;
    for (const name of [...this.#ifaces.keys()]) this.#forgetInterface(name);
    for (const name of [...this.#bonds.keys()]) this.#forgetBond(name);
  }

  /** The fast path: two small reads per interface, one per bond, events on any change. */
  #checkLinks(emit: Emit): void {
    for (const iface of [...this.#ifaces.values()]) {
      try {
        this.#observeLink(iface.name, iface.readLink(), emit);
      } catch (err) {
        this.#interfaceFailed(iface.name, err, emit);
      }
    }
    for (const bond of [...this.#bonds.values()]) {
      try {
        this.#observeBond(bond.name, bond.read(), emit);
      } catch (err) {
        this.#bondFailed(bond.name, err, emit);
      }
    }
  }

  #sampleInterface(iface: SysClassNetInterface, emit: Emit, timeUs: number, atMs: number): void {
    const tags = { interface: iface.name };
    try {
      const link = iface.readLink();
      this.#observeLink(iface.name, link, emit);
      const d = iface.readDetails();
      emit.gauge('nic', 'up', link.up ? 1 : 0, tags, timeUs);
      emit.gauge('nic', 'operstate', operStatusCode[link.operstate] ?? operStatusCode['unknown']!, tags, timeUs);
      emit.gauge('nic', 'carrier', link.carrier, tags, timeUs);
      emit.counter('nic', 'carrier_changes', d.carrierChanges, tags, timeUs);
      emit.gauge('nic', 'speed_mbps', d.speedMbps, tags, timeUs);
      emit.gauge('nic', 'mtu', d.mtu, tags, timeUs);
      for (const field of counterFiles) {
        const value = d.counters[field];
        if (value === undefined) continue;
        emit.counter('nic', field, value, tags, timeUs);
        const perSecond = this.#rates.rate(iface.name, field, value, atMs);
        if (perSecond !== undefined) emit.gauge('nic', `${field}_per_s`, perSecond, tags, timeUs);
      }
    } catch (err) {
      this.#interfaceFailed(iface.name, err, emit);
    }
  }

  #sampleBond(bond: BondReader, emit: Emit, timeUs: number): void {
    let state: BondState;
    try {
      state = bond.read();
    } catch (err) {
      this.#bondFailed(bond.name, err, emit);
      return;
    }
    this.#observeBond(bond.name, state, emit);
    const tags = { bond: bond.name };
    const up = state.slaves.filter(slaveUp);
    emit.gauge('bond', 'slaves_total', state.slaves.length, tags, timeUs);
    emit.gauge('bond', 'slaves_up', up.length, tags, timeUs);
    emit.gauge('bond', 'mii_up', state.miiUp ? 1 : 0, tags, timeUs);
    emit.counter('bond', 'active_slave_changes', this.#bondStates.get(bond.name)?.activeChanges ?? 0, tags, timeUs);
    emit.counter('bond', 'link_failures', sum(state.slaves.map((s) => s.linkFailures)), tags, timeUs);
    for (const s of state.slaves) {
      const slaveTags = { bond: bond.name, slave: s.name };
      emit.gauge('bond_slave', 'mii_up', slaveUp(s) ? 1 : 0, slaveTags, timeUs);
      emit.gauge('bond_slave', 'active', s.name === state.activeSlave ? 1 : 0, slaveTags, timeUs);
      emit.counter('bond_slave', 'link_failures', s.linkFailures, slaveTags, timeUs);
    }
  }

  #observeLink(name: string, link: LinkState, emit: Emit): void {
    const prev = this.#links.get(name);
    this.#links.set(name, link);
    if (!prev || prev.up === link.up) return;
    emit.event('nic.link', {
      tags: { interface: name },
      attrs: { state: link.up ? 'up' : 'down', operstate: link.operstate },
      values: { carrier: link.carrier },
      severity: link.up ? INFO : MAJOR,
      timeUs: this.#deps.clock.nowUs(),
    });
  }

  #observeBond(name: string, state: BondState, emit: Emit): void {
    const prev = this.#bondStates.get(name);
    if (!prev) {
      this.#bondStates.set(name, { state, activeChanges: 0 });
      return;
    }
    const timeUs = this.#deps.clock.nowUs();
    for (const s of state.slaves) {
      const before = prev.state.slaves.find((p) => p.name === s.name);
      if (!before || slaveUp(before) === slaveUp(s)) continue;
      emit.event('bond.slave', {
        tags: { bond: name, slave: s.name },
        attrs: { state: slaveUp(s) ? 'up' : 'down', mii_status: s.miiStatus },
        values: { link_failures: s.linkFailures },
        severity: slaveUp(s) ? INFO : MAJOR,
        timeUs,
      });
    }
    if (prev.state.activeSlave !== state.activeSlave) {
      prev.activeChanges++;
      emit.event('bond.failover', {
        tags: { bond: name },
        attrs: { from: prev.state.activeSlave ?? 'none', to: state.activeSlave ?? 'none', mode: state.mode },
        // Traffic still flows on a fail-over, but one leg is broken; with no active slave it does not.
        severity: state.activeSlave ? MAJOR : CRITICAL,
        timeUs,
      });
    }
    prev.state = state;
  }

  /** Opens newly appeared interfaces and bonds, closes vanished ones. */
  #discover(emit: Emit): void {
    try {
      const present = new Set(listInterfaces(this.#deps.sysRoot).filter(this.#wanted));
      for (const name of this.#ifaces.keys()) if (!present.has(name)) this.#forgetInterface(name);
      for (const name of present) {
        if (!this.#ifaces.has(name)) this.#ifaces.set(name, new SysClassNetInterface(this.#deps.sysRoot, name));
      }
    } catch (err) {
      emit.error(asError(err));
    }
    if (!this.#config.bonds) return;
    try {
      const present = new Set(listBonds(this.#deps.procRoot, this.#deps.sysRoot));
      for (const name of this.#bonds.keys()) if (!present.has(name)) this.#forgetBond(name);
      for (const name of present) {
        if (!this.#bonds.has(name)) this.#bonds.set(name, new BondReader(this.#deps.procRoot, this.#deps.sysRoot, name));
      }
    } catch (err) {
      emit.error(asError(err));
    }
  }

  #interfaceFailed(name: string, err: unknown, emit: Emit): void {
    // A vanished interface is not an error: discovery drops it; anything else is reported.
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENODEV') this.#forgetInterface(name);
    else emit.error(asError(err));
  }

  #bondFailed(name: string, err: unknown, emit: Emit): void {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENODEV') this.#forgetBond(name);
    else emit.error(asError(err));
  }

  #forgetInterface(name: string): void {
    this.#ifaces.get(name)?.close();
    this.#ifaces.delete(name);
    this.#links.delete(name);
  }

  #forgetBond(name: string): void {
    this.#bonds.get(name)?.close();
    this.#bonds.delete(name);
    this.#bondStates.delete(name);
  }
}

/** "going down" is a slave still carrying traffic inside its downdelay. */
function slaveUp(s: { miiStatus: string }): boolean {
  return s.miiStatus === 'up' || s.miiStatus === 'going down';
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export const nicPlugin: SamplerPlugin<NicConfig> = {
  name: 'nic',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      interval_ms: { type: 'integer', minimum: 100, maximum: 3_600_000, default: 1000 },
      include: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 256, default: ['*'] },
      exclude: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 256, default: ['lo'] },
      watch_interval_ms: { type: 'integer', minimum: 10, maximum: 1000, default: 50 },
      link_watch: { enum: ['netlink', 'poll'], default: 'netlink' },
      bonds: { type: 'boolean', default: true },
    },
  },
  create: (config, deps) => (config.enabled ? [new NicSampler(config, deps)] : []),
};
