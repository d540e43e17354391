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
