import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The root structured logger (JSON lines on stderr, so stdout stays free for CLI output).
 * Children carry {component, ...}; foreign text goes in fields, never spliced into messages.
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    { level: opts.level ?? process.env['FLOORWATCH_LOG_LEVEL'] ?? 'info', base: { name: opts.name ?? 'floorwatch' } },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that discards everything: for tests and benchmarks that assert on behaviour. */
export const silentLogger: Logger = pino({ level: 'silent' });
