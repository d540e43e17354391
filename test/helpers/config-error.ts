import { ConfigError } from '../../lib/errors.js';

/** The ConfigError `fn` throws, to check where it points; any other outcome fails the test. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError thrown');
}
