/**
 * Bonded interfaces: the kernel's /proc/net/bonding/<bond> text (drivers/net/bonding/
 * bond_procfs.c) and, when procfs is not there, /sys/class/net/<bond>/bonding/*.
 * This kernel has no bonding driver, so both readers are proved on fixture trees.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeptFile, errnoOf } from './kept-file.js';

export interface BondSlave {
  name: string;
  /** "up", "down", "going down", "going back" (bond_slave_link_status). */
  miiStatus: string;
  linkFailures: number;
}

export interface BondState {
  /** e.g. "fault-tolerance (active-backup)" from procfs, "active-backup 1" from sysfs. */
  mode: string;
  /** Null when the mode has no active slave or none is active ("None"). */
  activeSlave: string | null;
  miiUp: boolean;
  slaves: BondSlave[];
}

/** Parses /proc/net/bonding/<bond>: a master block, then one block per slave. */
export function parseProcBonding(text: string): BondState {
  const state: BondState = { mode: '', activeSlave: null, miiUp: false, slaves: [] };
  let slave: BondSlave | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 2).trim();
    if (key === 'Slave Interface') {
      slave = { name: value, miiStatus: 'unknown', linkFailures: 0 };
      state.slaves.push(slave);
    } else if (slave) {
      if (key === 'MII Status') slave.miiStatus = value;
      else if (key === 'Link Failure Count') slave.linkFailures = Number.parseInt(value, 10) || 0;
    } else if (key === 'Bonding Mode') state.mode = value;
    else if (key === 'Currently Active Slave') state.activeSlave = value === 'None' ? null : value;
    else if (key === 'MII Status') state.miiUp = value === 'up';
  }
  // The kernel always prints the mode first; without it the text is not a bond's (or was cut short).
  if (!state.mode) throw new Error('not a /proc/net/bonding file: no "Bonding Mode:" line');
  return state;
}

/** Bond names from /proc/net/bonding and /sys/class/net/bonding_masters, whichever exist. */
export function listBonds(procRoot: string, sysRoot: string): string[] {
  const names = new Set<string>();
  const bonding = join(procRoot, 'net/bonding');
  // Checked first: without the bonding module (most hosts) the readdir would throw every second.
  if (existsSync(bonding)) {
    try {
      for (const n of readdirSync(bonding)) names.add(n);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  const masters = join(sysRoot, 'class/net/bonding_masters');
  if (existsSync(masters)) {
    const file = new KeptFile(masters, 4096);
    try {
      for (const n of file.read().split(/\s+/)) if (n) names.add(n);
    } finally {
      file.close();
    }
  }
  return [...names].sort();
}

/** Reads one bond, preferring procfs (it has link failure counts) over sysfs. */
export class BondReader {
  readonly name: string;
  readonly #sysRoot: string;
  readonly #proc: KeptFile;
  readonly #sys = new Map<string, KeptFile>();

  constructor(procRoot: string, sysRoot: string, name: string) {
    this.name = name;
    this.#sysRoot = sysRoot;
    // Bounded: a bond of 16 slaves in 802.3ad mode prints about 8 KiB.
    this.#proc = new KeptFile(join(procRoot, 'net/bonding', name), 64 * 1024);
  }

  read(): BondState {
    try {
      return parseProcBonding(this.#proc.read());
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    return this.#readSysfs();
  }

  #readSysfs(): BondState {
    const slaves = this.#sysText(`${this.name}/bonding/slaves`).split(/\s+/).filter(Boolean);
    const active = this.#sysText(`${this.name}/bonding/active_slave`);
    return {
      mode: this.#sysText(`${this.name}/bonding/mode`),
      activeSlave: active === '' ? null : active,
      miiUp: this.#sysText(`${this.name}/bonding/mii_status`) === 'up',
      slaves: slaves.map((s) => ({
        name: s,
        miiStatus: this.#sysText(`${s}/bonding_slave/mii_status`, 'unknown'),
        linkFailures: Number.parseInt(this.#sysText(`${s}/bonding_slave/link_failure_count`, '0'), 10) || 0,
      })),
    };
  }

  #sysText(rel: string, missing = ''): string {
    let file = this.#sys.get(rel);
    if (!file) {
      file = new KeptFile(join(this.#sysRoot, 'class/net', rel), 4096);
      this.#sys.set(rel, file);
    }
    try {
      return file.read().trim();
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return missing;
      throw err;
    }
  }

  close(): void {
    this.#proc.close();
    for (const f of this.#sys.values()) f.close();
    this.#sys.clear();
  }
}
