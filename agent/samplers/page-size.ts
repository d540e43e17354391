/** The kernel page size, for counts /proc gives in pages (vmstat, statm). */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** From the first mapping in <procRoot>/self/smaps; 4 KiB if unknown (a fixture tree without it). */
export function pageSize(procRoot: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(join(procRoot, 'self/smaps'), 'r');
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    const m = /KernelPageSize:\s+(\d+) kB/.exec(head.toString('latin1', 0, n));
    return m ? Number(m[1]) * 1024 : 4096;
  } catch {
    return 4096;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
