/** Waiting on conditions with deadlines: the suite never sleeps and hopes. */
export { freePort } from '../../lib/free-port.js';

/** lib/wait-for.ts's waitFor, with the suite's call style (`{ timeoutMs, everyMs, progress }`). */
import { waitFor, type Probe } from '../../lib/wait-for.js';
export { waitFor };

/**
 * Waits for `probe` as long as `progress()` keeps changing (a count growing, a cursor moving):
 * it fails when nothing has moved for `stallMs`, not at a fixed deadline, so a busy machine gets
 * the time it needs and a stuck system fails fast, naming where progress stopped. The suite's
 * call style for lib/wait-for.ts's waitFor with `progress` (the one implementation).
 */
export function waitWhileProgressing<T>(
  what: string,
  probe: Probe<T>,
  progress: () => unknown,
  opts: { stallMs?: number; everyMs?: number; detail?: () => string } = {},
): Promise<T> {
  return waitFor(what, probe, {
    timeoutMs: opts.stallMs ?? 15_000,
    everyMs: opts.everyMs ?? 100,
    progress,
    ...(opts.detail ? { detail: opts.detail } : {}),
  });
}
