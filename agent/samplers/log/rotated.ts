/**
 * The generations of one log file as logrotate leaves them, oldest first, the live path last:
 * app.log.3.gz, app.log.2.gz, app.log.1, app.log (or app.log-20260101.gz, ..., app.log).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Candidate {
  path: string;
  gz: boolean;
  live: boolean;
}

interface Ranked extends Candidate {
  /** Smaller is older. */
  rank: number;
  generation: string;
}

const SUFFIX = /^[.-](\d+)(\.gz)?$/;

export function listGenerations(livePath: string): Candidate[] {
  const dir = dirname(livePath);
  const base = basename(livePath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: Ranked[] = [];
  for (const name of names) {
    if (!name.startsWith(base) || name === base) continue;
    const m = SUFFIX.exec(name.slice(base.length));
    if (!m) continue;
    const digits = m[1]!;
    // app.log.N: bigger N is older. app.log-YYYYMMDD[HH]: dated names sort before numbered ones.
    const rank = digits.length >= 8 ? -1e12 + Number(digits) : -Number(digits);
    found.push({ path: join(dir, name), gz: m[2] !== undefined, live: false, rank, generation: digits });
  }
  const plain = new Set(found.filter((c) => !c.gz).map((c) => c.generation));
  // While gzip writes app.log.1.gz, app.log.1 still exists and is complete: read that one.
  const usable = found.filter((c) => !(c.gz && plain.has(c.generation)));
  usable.sort((a, b) => a.rank - b.rank);
  const out: Candidate[] = usable.map(({ path, gz }) => ({ path, gz, live: false }));
  if (exists(livePath)) out.push({ path: livePath, gz: false, live: true });
  return out;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
