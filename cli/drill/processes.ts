/**
 * Finding the floor's processes on this host by their command line (/proc/<pid>/cmdline), the
 * way an operator would with pgrep, without pgrep's matching surprises.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function findPids(matches: (argv: readonly string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // exited meanwhile
    }
    if (matches(argv)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * With `within` (a demo's state directory), only processes whose command line names a file in it
 * (their `--config`): two demos on one host run the same component ids, and a drill against one
 * must not kill or freeze the other's (a kill-both-fh of one test's demo killed the feed handlers
 * of a soak test's demo beside it, #19).
 */
function inScope(argv: readonly string[], within: string | undefined): boolean {
  if (within === undefined) return true;
  const dir = within.endsWith('/') ? within : `${within}/`;
  return argv.some((a) => a.startsWith(dir));
}

/** `floorwatch plant <kind> --id <id>` itself, not the `floorwatch run` wrapper around it. */
export function plantComponentPids(id: string, within?: string): number[] {
  return findPids(
    (argv) => argv.includes('plant') && !argv.includes('run') && argv[argv.indexOf('--id') + 1] === id && inScope(argv, within),
  );
}

/** `floorwatch agent ... --id <id>`. */
export function agentPids(id: string, within?: string): number[] {
  return findPids(
    (argv) => argv.includes('agent') && !argv.includes('run') && argv[argv.indexOf('--id') + 1] === id && inScope(argv, within),
  );
}

export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already: nothing to signal
    }
  }
}
