/**
 * Who is asking, without HTTP: roles include the role before them; tokens are looked up by their
 * hash; a sign-in sets a signed session that expires, renews past half its life, and ends when
 * the user's password or role changes or the key is another; passwords are scrypt.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { AccessControl } from '../../../brain/access/access.js';
import { accessProblem, type AccessConfig } from '../../../brain/access/access-config.js';
import { hashPassword, hashToken, mintToken, passwordHashProblem, verifyPassword } from '../../../brain/access/credentials.js';
import { actionsOf, may } from '../../../brain/access/roles.js';
import { parseBrainConfig } from '../../../brain/config.js';
import { FakeClock } from '../../../lib/clock.js';

t.test('roles: each includes the one before it', async (t) => {
  const table = (['viewer', 'operator', 'admin'] as const).map((r) => [
    r,
    ['read', 'ack', 'silence', 'config', 'handover'].filter((a) => may(r, a as never)),
  ]);
  t.same(table, [
    ['viewer', ['read']],
    ['operator', ['read', 'ack', 'silence']],
    ['admin', ['read', 'ack', 'silence', 'config', 'handover']],
  ]);
  t.same(actionsOf('viewer'), ['read']);
});

t.test('passwords and tokens at rest', async (t) => {
  const hash = await hashPassword('correct horse');
  t.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.equal(await verifyPassword('correct horse', hash), true);
  t.equal(await verifyPassword('correct hors', hash), false);
  t.not(await hashPassword('correct horse'), hash, 'salted: the same password hashes differently');
  t.match(passwordHashProblem(hash.replace('$32768$', '$1024$')), /power of two from 2\^14/, 'a cheap cost is refused');
  t.match(passwordHashProblem('plaintext'), /not a password hash/);
  const token = mintToken();
  t.match(token, /^fwt_[A-Za-z0-9_-]{43}$/);
  t.match(hashToken(token), /^sha256\$[0-9a-f]{64}$/);
  t.equal(hashToken('fwt_short'), undefined, 'a malformed token is never hashed');
});

async function control(clock: FakeClock, key = randomBytes(32)) {
  const token = mintToken();
  const config: AccessConfig = {
    anonymous_read: false,
    session_ttl: '1h',
    hosts: [],
    origins: [],
    users: {
      alice: { role: 'operator', password: await hashPassword('alice-password'), tokens: [hashToken(token)!] },
      bot: { role: 'viewer', tokens: [] },
    },
  };
  return { config, token, key, access: new AccessControl(config, key, clock) };
}

t.test('tokens and sign-ins identify the user', async (t) => {
  const clock = new FakeClock();
  const { access, token } = await control(clock);
  t.same(access.byToken(token), { name: 'alice', role: 'operator', via: 'token' });
  t.equal(access.byToken(mintToken()), undefined, 'an unknown token');
  t.same(await access.login('alice', 'wrong'), { ok: false, why: 'refused' });
  t.same(await access.login('nobody', 'alice-password'), { ok: false, why: 'refused' }, 'an unknown user');
  t.same(await access.login('bot', ''), { ok: false, why: 'refused' }, 'a token-only user cannot sign in');
  const [a, b, c] = await Promise.all([access.login('alice', 'x'), access.login('alice', 'x'), access.login('alice', 'x')]);
  t.same(
    [a, b, c].map((r) => (r.ok ? 'ok' : r.why)),
    ['refused', 'refused', 'busy'],
    'a third concurrent sign-in is told to wait',
  );
});

t.test('sessions: signed, expiring, renewed past half their life, ended by a password or role change', async (t) => {
  const clock = new FakeClock();
  const { access, config, key } = await control(clock);
  const r = await access.login('alice', 'alice-password');
  if (!r.ok) throw new Error('sign-in failed');
  t.same(access.bySession(r.cookie), { identity: { name: 'alice', role: 'operator', via: 'session' }, renew: undefined });
  const [user, issued, fp, mac] = r.cookie.split('.');
  t.equal(
    access.bySession(`${Buffer.from('carol').toString('base64url')}.${issued}.${fp}.${mac}`),
    undefined,
    'another user name breaks the signature',
  );
  t.equal(access.bySession(`${user}.${issued}.${fp}.${mac!.slice(0, -2)}AA`), undefined, 'a changed signature');
  t.equal(new AccessControl(config, randomBytes(32), clock).bySession(r.cookie), undefined, 'another key (secret.key replaced)');
  clock.advance(31 * 60_000);
  const renewed = access.bySession(r.cookie);
  t.ok(renewed?.renew, 'past half its life, a fresh cookie is issued');
  clock.advance(30 * 60_000);
  t.equal(access.bySession(r.cookie), undefined, 'expired after an hour');
  t.ok(access.bySession(renewed!.renew!), 'the renewed one still holds');
  const changed = new AccessControl(
    { ...config, users: { ...config.users, alice: { ...config.users['alice']!, role: 'viewer' } } },
    key,
    clock,
  );
  t.equal(changed.bySession(renewed!.renew!), undefined, 'a role change ends the session');
});

t.test('the access section is checked at its line', async (t) => {
  const token = hashToken(mintToken());
  t.throws(
    () =>
      parseBrainConfig(
        `access:\n  users:\n    a: {role: operator, tokens: ["${token}"]}\n    b: {role: viewer, tokens: ["${token}"]}\n`,
        'b.yaml',
      ),
    { message: /b\.yaml:4: access\.users\.b\.tokens\.0: the same token is also a's/ },
  );
  t.throws(() => parseBrainConfig('access:\n  users:\n    a: {role: root}\n', 'c.yaml'), {
    message: /c\.yaml:3: access\.users\.a\.role: must be one of/,
  });
  t.throws(() => parseBrainConfig('access:\n  users:\n    a: {role: viewer, password: hunter2}\n', 'd.yaml'), {
    message: /d\.yaml:3: access\.users\.a\.password: must match pattern/,
  });
  t.equal(
    accessProblem({ anonymous_read: false, session_ttl: '10s', hosts: [], origins: [], users: {} })?.problem,
    'must be from 1m to 30d',
  );
});
