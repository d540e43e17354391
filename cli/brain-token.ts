/**
 * The API token a CLI command sends to the brain (`Authorization: Bearer ...`), from the first
 * of: `--token-file FILE`, `$FLOORWATCH_TOKEN`, `$FLOORWATCH_TOKEN_FILE`. None: the request goes
 * without one (reads work where the brain allows anonymous reads; writes are refused).
 * A file is better than the environment (other users can read /proc/PID/environ as root only,
 * but the environment leaks into child processes and crash reports): keep it mode 0600.
 */
import { readFileSync } from 'node:fs';

export function brainToken(tokenFile?: string): string | undefined {
  const file = tokenFile ?? (process.env['FLOORWATCH_TOKEN'] ? undefined : process.env['FLOORWATCH_TOKEN_FILE']);
  if (file === undefined) return process.env['FLOORWATCH_TOKEN'] || undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`token file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw new Error(`token file ${file} is empty`);
  return token;
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
