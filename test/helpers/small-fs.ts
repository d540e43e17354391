/**
 * A small real filesystem for "the disk fills up" tests: an ext4 image of a few MB, loop-mounted
 * (root only), named with the test's pid so parallel runs never collide, always unmounted in
 * teardown. fill() takes every free block with a filler file (so the next write of the process
 * under test fails with a real ENOSPC from the kernel); free() deletes it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Availability } from './influxd.js';

export interface SmallFs {
  /** The mount point. */
  readonly dir: string;
  /** Writes a filler file until the kernel says ENOSPC; returns its size. */
  fill(): number;
  /** Deletes the filler file. */
  free(): void;
  freeBytes(): number;
}

export function smallFsAvailable(): Availability {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'mounting a filesystem needs root' };
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    execFileSync('losetup', ['--version'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'mkfs.ext4 and losetup (e2fsprogs, mount) are needed' };
  }
  return { ok: true };
}

export function smallFs(t: { teardown(fn: () => void): void }, name: string, sizeMb = 8): SmallFs {
  const base = join(tmpdir(), `fw-smallfs-${name}-${process.pid}`);
  const image = `${base}.img`;
  const dir = base;
  mkdirSync(dir, { recursive: true });
  execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
  // -m 0: no blocks reserved for root (the tests run as root and must really run out).
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', `fw${process.pid}`, image]);
  execFileSync('mount', ['-o', 'loop', image, dir]);
  t.teardown(() => {
    for (const args of [[dir], ['-l', dir]]) {
      try {
        execFileSync('umount', args, { stdio: 'ignore' });
        break;
      } catch {
        // busy (a process of the test still has a file open): lazy unmount next
      }
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
  });
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      let total = 0;
      try {
        for (const chunk of [65536, 4096, 1024, 1]) {
          const buf = Buffer.alloc(chunk, 0x5a);
          try {
            for (;;) total += writeSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return total;
    },
    free() {
      unlinkSync(filler);
    },
    freeBytes() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
  };
}
