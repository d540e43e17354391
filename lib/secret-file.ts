/**
 * The brain's one local secret: 32 random bytes in `<state dir>/secret.key` (mode 0600), made on
 * first start and kept across restarts, so wall-board sessions and the tokens in page mails'
 * Message-IDs stay valid after a restart. Each use takes its own key derived from it (HMAC with
 * the purpose as the message), so one key is never used for two things.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

const BYTES = 32;

/** `ephemeral` hears why the key could not be written (it then lives for this run only). */
export function loadOrCreateSecret(stateDir: string, ephemeral: (why: string) => void = () => undefined): Buffer {
  const file = join(stateDir, 'secret.key');
  try {
    const secret = readFileSync(file);
    if (secret.length === BYTES) return secret;
    throw new Error(`${file} holds ${secret.length} bytes, not ${BYTES}: delete it to make a new one (sessions and mail tokens then end)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(BYTES);
  // A full or failing state disk must not stop the brain: this run keeps its key in memory
  // (sessions and mail tokens then end at the next restart), and the next start tries again.
  let fd: number;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': if another process made it first, this fails, and its key is read instead.
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file);
    ephemeral(`${file}: ${(err as Error).message}`);
    return secret;
  }
  if (!writeWhole(fd, secret)) {
    rmSync(file, { force: true });
    ephemeral(`${file}: could not be written whole`);
  }
  return secret;
}

/** Writes, fsyncs and closes; false on any error (the descriptor is closed either way). */
function writeWhole(fd: number, bytes: Buffer): boolean {
  let ok = false;
  try {
    ok = writeSync(fd, bytes) === bytes.length;
    fsyncSync(fd);
  } catch {
    ok = false;
  }
  try {
    closeSync(fd);
  } catch {
    ok = false;
  }
  return ok;
}

/** The key for one purpose ("session", "reply-ack"), derived from the secret. */
export function derivedKey(secret: Buffer, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`floorwatch/${purpose}/v1`).digest();
}
