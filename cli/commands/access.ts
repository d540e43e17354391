/**
 * `floorwatch access hash-password | new-token`: the credentials for the brain config's
 * `access.users` (docs/security.md). Only hashes go into the config; the password stays with its
 * person and the token with its script.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';

/** One line from stdin; on a terminal, without echo. */
async function readSecretLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    let line = '';
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(line);
        if (ch === '\u0003') return done(undefined);
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    };
    const done = (v: string | undefined) => {
      stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      process.stderr.write('\n');
      if (v === undefined) reject(new Error('cancelled'));
      else resolve(v);
    };
    stdin.on('data', onData);
  });
}

export function registerAccess(program: Command): void {
  const access = program
    .command('access')
    .description('Make credentials for the brain config (access.users): password hashes and API tokens.');
  access
    .command('hash-password')
    .description('read a password (typed without echo, or one line on stdin) and print its scrypt hash for access.users.NAME.password')
    .action(async () => {
      const { hashPassword } = await import('../../brain/access/credentials.js');
      const password = await readSecretLine('password: ');
      if (password.length < 8) {
        process.stderr.write('floorwatch: a password needs at least 8 characters\n');
        process.exit(2);
      }
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
  access
    .command('new-token')
    .description('mint an API token for scripts and the CLI; prints the token once and the hash for access.users.NAME.tokens')
    .option('--token-file <file>', 'write the token to this file (mode 0600) instead of printing it')
    .action(async (o: { tokenFile?: string }) => {
      const { hashToken, mintToken } = await import('../../brain/access/credentials.js');
      const token = mintToken();
      if (o.tokenFile) {
        writeFileSync(o.tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
        process.stderr.write(`token written to ${o.tokenFile}\n`);
      } else {
        process.stdout.write(`token: ${token}\n`);
      }
      process.stdout.write(`hash:  ${hashToken(token)}\n`);
    });
}
