import type { Logger } from '../lib/log.js';

/** Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<unknown>): void {
  // Every timer of ours is unref()'d so libraries never hold a process open; this one does,
  // so a daemon with nothing to do for a moment (an agent whose brain is down) stays alive.
  setInterval(() => {}, 1 << 30);
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`floorwatch: shutdown after ${signal} failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * An exception nobody caught is a bug, not an operating condition (a full disk is handled where
 * it happens): it is reported as one JSON `fatal` line with its stack in a field, never a raw
 * stack trace, and the process exits 70 (EX_SOFTWARE) for its supervisor to restart it.
 */
export function exitOnUncaught(log: Logger): void {
  const fatal = (what: string) => (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    log.fatal({ err: { message: e.message, code: (e as NodeJS.ErrnoException).code, stack: e.stack } }, what);
    process.exit(70);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
}
