/**
 * Users for a test brain's `access:` section: each with an API token (and a password when the
 * test signs in on the wall board). Tokens are minted fresh, so no test shares a credential.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, hashToken, mintToken } from '../../brain/access/credentials.js';
import type { Role } from '../../brain/access/roles.js';

export interface TestUser {
  readonly name: string;
  readonly role: Role;
  readonly token: string;
  readonly password?: string;
}

export interface TestAccess {
  /** The `access:` section (top level of a brain config). */
  readonly yaml: string;
  readonly users: Record<string, TestUser>;
  /** `authorization: Bearer ...` for the named user. */
  bearer(name: string): Record<string, string>;
  /** Writes the user's token to `<dir>/<name>.token` (0600) for `--token-file`. */
  tokenFile(dir: string, name: string): string;
}

export async function testAccess(
  users: { name: string; role: Role; password?: string }[],
  opts: { anonymousRead?: boolean } = {},
): Promise<TestAccess> {
  const made: Record<string, TestUser> = {};
  const lines = ['access:', `  anonymous_read: ${opts.anonymousRead ?? false}`, '  users:'];
  for (const u of users) {
    const token = mintToken();
    made[u.name] = { ...u, token };
    const password = u.password ? `, password: "${await hashPassword(u.password)}"` : '';
    lines.push(`    ${u.name}: {role: ${u.role}, tokens: ["${hashToken(token)}"]${password}}`);
  }
  return {
    yaml: lines.join('\n') + '\n',
    users: made,
    bearer: (name) => ({ authorization: `Bearer ${made[name]!.token}` }),
    tokenFile: (dir, name) => {
      const file = join(dir, `${name}.token`);
      writeFileSync(file, `${made[name]!.token}\n`, { mode: 0o600 });
      return file;
    },
  };
}
