/**
 * Dirty page cache against disk writes. The pattern this exists for: mmap()ed files closed on a
 * schedule make Dirty jump, then writeback drains it in a burst of disk writes that stalls
 * latency-sensitive processes. One sample carries both halves under one timestamp:
 * `memory` (meminfo, vmstat, vm.dirty_* settings) and `disk` (per-disk diskstats).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Emit, Sampler, SamplerDeps } from '../../sampler.js';
import type { SamplerPlugin } from '../plugin.js';
import { nameFilter } from '../../../lib/glob.js';
import { KeptFile } from '../nic/kept-file.js';
import { RateTracker } from '../nic/rate.js';
import { pageSize } from '../page-size.js';
import { parseDiskstats, type DiskCounters } from './diskstats.js';
import { meminfoFields, meminfoKeys, parseMeminfo } from './meminfo.js';
import { parseVmstat, vmstatCounters, vmstatGauges, vmstatKeys, vmstatThresholds } from './vmstat.js';

export interface MemoryConfig {
  enabled: boolean;
  /** Read by the agent core, which owns the polling schedule. */
  interval_ms: number;
  vm_settings: boolean;
  disks: { include: string[]; exclude: string[]; partitions: boolean };
}

const vmSettings = [
  'dirty_ratio',
  'dirty_background_ratio',
  'dirty_bytes',
  'dirty_background_bytes',
  'dirty_expire_centisecs',
  'dirty_writeback_centisecs',
] as const;

const diskCounters = [
  ['read_ops', (d: DiskCounters) => d.readOps],
  ['read_bytes', (d: DiskCounters) => d.readBytes],
  ['write_ops', (d: DiskCounters) => d.writeOps],
  ['write_bytes', (d: DiskCounters) => d.writeBytes],
] as const;

export class MemorySampler implements Sampler {
  readonly name = 'memory';
  readonly #config: MemoryConfig;
  readonly #deps: SamplerDeps;
  readonly #meminfo: KeptFile;
  readonly #vmstat: KeptFile;
  readonly #diskstats: KeptFile;
  readonly #settings: (readonly [string, KeptFile])[];
  readonly #pageBytes: number;
  readonly #wantedDisk: (name: string) => boolean;
  readonly #wholeDisk = new Map<string, boolean>();
  readonly #rates = new RateTracker();

  constructor(config: MemoryConfig, deps: SamplerDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#meminfo = new KeptFile(join(deps.procRoot, 'meminfo'), 16 * 1024);
    this.#vmstat = new KeptFile(join(deps.procRoot, 'vmstat'), 32 * 1024);
    // About 100 bytes a device: room for 2500 block devices.
    this.#diskstats = new KeptFile(join(deps.procRoot, 'diskstats'), 256 * 1024);
    this.#settings = config.vm_settings
      ? vmSettings.map((s) => [`vm_${s}`, new KeptFile(join(deps.procRoot, 'sys/vm', s), 64)] as const)
      : [];
    this.#pageBytes = pageSize(deps.procRoot);
    this.#wantedDisk = nameFilter(config.disks.include, config.disks.exclude);
  }

  sample(emit: Emit): void {
    const timeUs = this.#deps.clock.nowUs();
    const atMs = this.#deps.clock.monotonic();
    this.#guard(emit, () => this.#sampleMeminfo(emit, timeUs));
    this.#guard(emit, () => this.#sampleVmstat(emit, timeUs, atMs));
    for (const [field, file] of this.#settings) this.#guard(emit, () => emit.gauge('memory', field, file.readInt(), {}, timeUs));
    this.#guard(emit, () => this.#sampleDisks(emit, timeUs, atMs));
    this.#rates.prune();
  }

  close(): void {
    for (const f of [this.#meminfo, this.#vmstat, this.#diskstats, ...this.#settings.map(([, f]) => f)]) f.close();
  }

  #sampleMeminfo(emit: Emit, timeUs: number): void {
    const mem = parseMeminfo(this.#meminfo.read(), meminfoKeys);
    for (const [key, field] of meminfoFields) {
      const v = mem.get(key);
      if (v !== undefined) emit.gauge('memory', field, v, {}, timeUs);
    }
  }

  #sampleVmstat(emit: Emit, timeUs: number, atMs: number): void {
    const vm = parseVmstat(this.#vmstat.read(), vmstatKeys);
    for (const key of vmstatGauges) {
      const v = vm.get(key);
      if (v !== undefined) emit.gauge('memory', key, v, {}, timeUs);
    }
    for (const [key, field] of vmstatThresholds) {
      const v = vm.get(key);
      if (v !== undefined) emit.gauge('memory', field, v * this.#pageBytes, {}, timeUs);
    }
    for (const key of vmstatCounters) {
      const v = vm.get(key);
      if (v === undefined) continue;
      emit.counter('memory', key, v, {}, timeUs);
      const perSecond = this.#rates.rate('vmstat', key, v, atMs);
      if (perSecond === undefined) continue;
      emit.gauge('memory', `${key}_per_s`, perSecond, {}, timeUs);
      emit.gauge('memory', `${key.slice(3)}_bytes_per_s`, perSecond * this.#pageBytes, {}, timeUs);
    }
  }

  #sampleDisks(emit: Emit, timeUs: number, atMs: number): void {
    const disks = parseDiskstats(this.#diskstats.read()).filter((d) => this.#isWanted(d.device));
    for (const d of disks) {
      const tags = { device: d.device };
      emit.gauge('disk', 'in_flight', d.inFlight, tags, timeUs);
      for (const [field, get] of diskCounters) {
        const v = get(d);
        emit.counter('disk', field, v, tags, timeUs);
        const perSecond = this.#rates.rate(d.device, field, v, atMs);
        if (perSecond !== undefined) emit.gauge('disk', `${field}_per_s`, perSecond, tags, timeUs);
      }
    }
    if (this.#wholeDisk.size > 4 * disks.length + 64) this.#wholeDisk.clear();
  }

  #isWanted(device: string): boolean {
    if (!this.#wantedDisk(device)) return false;
    if (this.#config.disks.partitions) return true;
    let whole = this.#wholeDisk.get(device);
    if (whole === undefined) {
      // /sys/block lists whole disks only; without it (a bare fixture) every device counts as one.
      const blockDir = join(this.#deps.sysRoot, 'block');
      whole = !existsSync(blockDir) || existsSync(join(blockDir, device));
      this.#wholeDisk.set(device, whole);
    }
    return whole;
  }

  #guard(emit: Emit, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      emit.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export const memoryPlugin: SamplerPlugin<MemoryConfig> = {
  name: 'memory',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      interval_ms: { type: 'integer', minimum: 50, maximum: 3_600_000, default: 1000 },
      vm_settings: { type: 'boolean', default: true },
      disks: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          include: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 256, default: ['*'] },
          exclude: {
            type: 'array',
            items: { type: 'string', minLength: 1 },
            maxItems: 256,
            default: ['loop*', 'ram*', 'zram*', 'sr*', 'fd*'],
          },
          partitions: { type: 'boolean', default: false },
        },
      },
    },
  },
  create: (config, deps) => (config.enabled ? [new MemorySampler(config, deps)] : []),
};
