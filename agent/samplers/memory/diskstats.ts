/**
 * /proc/diskstats (Documentation/admin-guide/iostats.rst): major minor name, then reads
 * completed, reads merged, sectors read, ms reading, writes completed, writes merged, sectors
 * written, ... A sector here is always 512 bytes, whatever the device's own sector size.
 */
export const SECTOR_BYTES = 512;

export interface DiskCounters {
  device: string;
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
  inFlight: number;
}

export function parseDiskstats(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 12) continue;
    const n = (i: number): number => Number(f[i]);
    out.push({
      device: f[2] as string,
      readOps: n(3),
      readBytes: n(5) * SECTOR_BYTES,
      writeOps: n(7),
      writeBytes: n(9) * SECTOR_BYTES,
      inFlight: n(11),
    });
  }
  return out;
}
