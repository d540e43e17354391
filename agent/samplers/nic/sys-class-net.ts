/**
 * One network interface as /sys/class/net/<if> shows it, read through kept-open files.
 * Link files are read by the fast link watch as well as by the poll, so they stay separate
 * from the counters, which only the poll reads.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeptFile, errnoOf } from './kept-file.js';

export const counterFiles = [
  'rx_bytes',
  'rx_packets',
  'rx_errors',
  'rx_dropped',
  'tx_bytes',
  'tx_packets',
  'tx_errors',
  'tx_dropped',
] as const;
export type CounterName = (typeof counterFiles)[number];

/** RFC 2863 ifOperStatus numbers, so operstate can travel as a gauge. */
export const operStatusCode: Record<string, number> = {
  up: 1,
  down: 2,
  testing: 3,
  unknown: 4,
  dormant: 5,
  notpresent: 6,
  lowerlayerdown: 7,
};

export interface LinkState {
  operstate: string;
  /** 1 or 0; 0 also when the kernel refuses to say (EINVAL while admin down). */
  carrier: number;
  /** Whether traffic can flow: operstate up, or "unknown" (lo, tun, some virtual NICs) with carrier. */
  up: boolean;
}

export interface InterfaceDetails {
  carrierChanges: number;
  /** Mb/s; -1 when the driver does not know (link down, virtual NIC). */
  speedMbps: number;
  mtu: number;
  counters: Partial<Record<CounterName, number>>;
}

/** Interface names in <sysRoot>/class/net; bonding_masters is a file living beside them. */
export function listInterfaces(sysRoot: string): string[] {
  return readdirSync(join(sysRoot, 'class/net')).filter((n) => n !== 'bonding_masters');
}

export class SysClassNetInterface {
  readonly name: string;
  readonly #operstate: KeptFile;
  readonly #carrier: KeptFile;
  readonly #carrierChanges: KeptFile;
  readonly #speed: KeptFile;
  readonly #mtu: KeptFile;
  readonly #counters: [CounterName, KeptFile][];
  /**
   * Files the kernel refused (EINVAL: carrier while admin down, speed of a virtual NIC), with
   * the operstate they were refused in: not asked again until the operstate changes, since a
   * refusal is an exception built every second.
   */
  readonly #refusedIn = new Map<KeptFile, string>();
  #lastOperstate = '';

  constructor(sysRoot: string, name: string) {
    this.name = name;
    const dir = join(sysRoot, 'class/net', name);
    const file = (rel: string): KeptFile => new KeptFile(join(dir, rel), 256);
    this.#operstate = file('operstate');
    this.#carrier = file('carrier');
    this.#carrierChanges = file('carrier_changes');
    this.#speed = file('speed');
    this.#mtu = file('mtu');
    this.#counters = counterFiles.map((c) => [c, file(`statistics/${c}`)]);
  }

  /** Throws when the interface is gone (its operstate cannot be read). */
  readLink(): LinkState {
    const operstate = this.#operstate.read().trim();
    this.#lastOperstate = operstate;
    const carrier = this.#readOr(this.#carrier, 0);
    return { operstate, carrier, up: operstate === 'up' || (operstate === 'unknown' && carrier === 1) };
  }

  readDetails(): InterfaceDetails {
    const counters: Partial<Record<CounterName, number>> = {};
    for (let i = 0; i < this.#counters.length; i++) {
      const [name, file] = this.#counters[i]!;
      const v = this.#readOr(file, Number.NaN);
      if (Number.isFinite(v)) counters[name] = v;
    }
    return {
      carrierChanges: this.#readOr(this.#carrierChanges, 0),
      speedMbps: this.#readOr(this.#speed, -1),
      mtu: this.#readOr(this.#mtu, 0),
      counters,
    };
  }

  /** An integer attribute, or `fallback` when the kernel refuses it (EINVAL) or it is absent. */
  #readOr(file: KeptFile, fallback: number): number {
    if (this.#refusedIn.get(file) === this.#lastOperstate) return fallback;
    try {
      const v = file.readInt();
      this.#refusedIn.delete(file);
      return Number.isNaN(v) ? fallback : v;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EINVAL') this.#refusedIn.set(file, this.#lastOperstate);
      if (code === 'EINVAL' || code === 'ENOENT' || code === 'EOPNOTSUPP') return fallback;
      throw err;
    }
  }

  close(): void {
    for (const f of [this.#operstate, this.#carrier, this.#carrierChanges, this.#speed, this.#mtu]) f.close();
    for (const [, f] of this.#counters) f.close();
  }
}
