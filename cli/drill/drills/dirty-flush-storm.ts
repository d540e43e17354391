import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasAlert, needsDemo, type Drill } from '../drill.js';

const MiB = 1024 * 1024;
const PAGE = 4096;
/** The staged kernel dirty threshold; peaks reach 90 % of it (a storm: writers get throttled). */
const THRESHOLD = 256 * MiB;
const PEAK = 230 * MiB;
const TROUGH = 20 * MiB;
// Drained over 1.2 s (~175 MiB/s): below the DiskWriteBurst rule's 200 MiB/s, which would
// otherwise open its own incident seconds before the storm pattern is established (the
// correlator only re-roots within its settle window).
const PERIOD_MS = 2500;
const FILL_MS = 1200;
const TICK_MS = 100;

/**
 * A dirty-memory flush storm on the fixture host (seed 001): every 2.5 s dirty pages climb to
 * 90 % of the dirty threshold, then writeback drains them in a burst of disk writes. The drill
 * rewrites the fixture /proc files the host's memory sampler reads, every 100 ms, until restored.
 */
export const dirtyFlushStorm: Drill = {
  name: 'dirty-flush-storm',
  what: 'periodic dirty-memory peaks drained by write bursts on the fixture host (fixture /proc)',
  expected: {
    describe: 'DirtyMemoryFlushStorm on the fixture host',
    matches: hasAlert('DirtyMemoryFlushStorm'),
  },
  unavailable: needsDemo('its fixture host'),
  async inject(ctx) {
    const proc = ctx.demo!.fixtureHost.procRoot;
    const files = { meminfo: join(proc, 'meminfo'), vmstat: join(proc, 'vmstat'), diskstats: join(proc, 'diskstats') };
    const original = {
      meminfo: readFileSync(files.meminfo, 'utf8'),
      vmstat: readFileSync(files.vmstat, 'utf8'),
      diskstats: readFileSync(files.diskstats, 'utf8'),
    };
    const disk = firstDisk(original.diskstats, ctx.demo!.fixtureHost.sysRoot);
    const start = Date.now();
    let writtenBytes = 0;
    let lastDirty = TROUGH;
    const tick = () => {
      const dirty = dirtyAt((Date.now() - start) % PERIOD_MS);
      // What writeback drained since the last tick went to the disk.
      if (dirty < lastDirty) writtenBytes += lastDirty - dirty;
      lastDirty = dirty;
      writeFileSync(files.meminfo, original.meminfo.replace(/^Dirty:\s+\d+ kB$/m, `Dirty:          ${Math.round(dirty / 1024)} kB`));
      writeFileSync(files.vmstat, setVmstat(original.vmstat, { nr_dirty: Math.round(dirty / PAGE), nr_dirty_threshold: THRESHOLD / PAGE }));
      writeFileSync(files.diskstats, addSectorsWritten(original.diskstats, disk, writtenBytes / 512));
    };
    tick();
    const timer = setInterval(tick, TICK_MS);
    ctx.step(
      `flush cycles every ${PERIOD_MS} ms on ${ctx.demo!.fixtureHost.agent}: dirty ${TROUGH / MiB}→${PEAK / MiB} MiB of a ${THRESHOLD / MiB} MiB threshold, drained through ${disk}`,
    );
    return async () => {
      clearInterval(timer);
      writeFileSync(files.meminfo, original.meminfo);
      writeFileSync(files.vmstat, original.vmstat);
      writeFileSync(files.diskstats, addSectorsWritten(original.diskstats, disk, writtenBytes / 512));
    };
  },
};

/** Dirty bytes at a point of the cycle: a steady climb, then a quick drain. */
function dirtyAt(phaseMs: number): number {
  if (phaseMs < FILL_MS) return TROUGH + ((PEAK - TROUGH) * phaseMs) / FILL_MS;
  return PEAK - (PEAK - TROUGH) * Math.min(1, (phaseMs - FILL_MS) / (PERIOD_MS - FILL_MS - TICK_MS));
}

function setVmstat(text: string, values: Record<string, number>): string {
  let out = text;
  for (const [key, v] of Object.entries(values)) {
    const line = new RegExp(`^${key} \\d+$`, 'm');
    out = line.test(out) ? out.replace(line, `${key} ${v}`) : `${out}${key} ${v}\n`;
  }
  return out;
}

/** The first disk in /proc/diskstats that is a whole disk in the fixture /sys/block, not loop, ram, zram, sr or fd. */
function firstDisk(diskstats: string, sysRoot: string): string {
  for (const line of diskstats.split('\n')) {
    const name = line.trim().split(/\s+/)[2];
    if (name && !/^(loop|ram|zram|sr|fd)/.test(name) && existsSync(join(sysRoot, 'block', name))) return name;
  }
  throw new Error('no disk in the fixture diskstats');
}

/** Adds sectors to the disk's "sectors written" column (the 10th field). */
function addSectorsWritten(diskstats: string, disk: string, sectors: number): string {
  return diskstats
    .split('\n')
    .map((line) => {
      const f = line.trim().split(/\s+/);
      if (f[2] !== disk) return line;
      f[9] = String(Number(f[9]) + Math.round(sectors));
      return f.join(' ');
    })
    .join('\n');
}
