/**
 * The demo's users, made fresh at every start (the demo wipes its state directory): a viewer for
 * the wall screen, the on-call operators, and an admin, each with a random password printed in
 * the banner; and an API token for the CLI, written to a 0600 file the banner names. Anyone on
 * the machine may watch the board without signing in (anonymous_read); acting needs a sign-in.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, hashToken, mintToken } from '../../brain/access/credentials.js';
import type { Role } from '../../brain/access/roles.js';

export interface DemoLogin {
  readonly user: string;
  readonly role: Role;
  readonly password: string;
}

export interface DemoCredentials {
  readonly logins: readonly DemoLogin[];
  /** The `access:` section of the demo brain config. */
  readonly accessYaml: string;
  /** alice's API token (operator), for `floorwatch ack`. */
  readonly tokenFile: string;
}

const USERS: readonly { user: string; role: Role }[] = [
  { user: 'wall', role: 'viewer' },
  { user: 'alice', role: 'operator' },
  { user: 'bob', role: 'operator' },
  { user: 'carol', role: 'admin' },
];

export async function makeDemoCredentials(dir: string): Promise<DemoCredentials> {
  const logins = USERS.map((u) => ({ ...u, password: randomBytes(9).toString('base64url') }));
  const hashes = await Promise.all(logins.map((l) => hashPassword(l.password)));
  const token = mintToken();
  const tokenFile = join(dir, 'alice.token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const lines = ['access:', '  anonymous_read: true', '  users:'];
  for (const [i, l] of logins.entries()) {
    const tokens = l.user === 'alice' ? `, tokens: ["${hashToken(token)}"]` : '';
    lines.push(`    ${l.user}: {role: ${l.role}, password: "${hashes[i]}"${tokens}}`);
  }
  return { logins, accessYaml: lines.join('\n'), tokenFile };
}
