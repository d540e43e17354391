/**
 * File globs: wildcards (* ? [...] [!...], lib/glob.ts) in the last path component only, so one
 * directory watch covers each entry. Compiled to RE2 like every other user-supplied pattern.
 */
import { basename, dirname, resolve } from 'node:path';
import RE2 from 're2';
import { globSource } from '../../../lib/glob.js';

export interface FileGlob {
  readonly source: string;
  readonly dir: string;
  matches(path: string): boolean;
}

export function compileGlob(glob: string): FileGlob {
  const abs = resolve(glob);
  const dir = dirname(abs);
  if (/[*?[]/.test(dir)) throw new Error(`${glob}: wildcards are only allowed in the file name, not in directories`);
  const base = basename(abs);
  const re = new RE2(`^${globSource(base)}$`);
  // Every file event asks again about the same few paths; RE2 on a JS string costs µs a call.
  const known = new Map<string, boolean>();
  return {
    source: glob,
    dir,
    matches: (path: string) => {
      let hit = known.get(path);
      if (hit === undefined) {
        hit = dirname(path) === dir && re.test(basename(path));
        if (known.size >= 4096) known.clear();
        known.set(path, hit);
      }
      return hit;
    },
  };
}

/** Names logrotate gives old generations (app.log.1, app.log.2.gz, app.log-20260101[.gz]). */
export function looksRotated(name: string): boolean {
  return /\.\d+(\.gz)?$|\.gz$|-\d{8,10}(\.gz)?$/.test(name);
}
