/**
 * The witness remembers its last term across a restart (brain/pair/voter-file.ts): a restarted
 * witness does not grant a term it already granted to another brain, nor elect a brain whose
 * state is older than the last primary it renewed; the file is fsync'ed, 0600, and a file that is
 * not a voter state is refused with its name.
 */
import t from 'tap';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { RoleMachine, type PairMessage, type RoleMachineOptions, type VoterState } from '../../../brain/pair/role.js';
import { loadVoterState, saveVoterState, voterFilePath } from '../../../brain/pair/voter-file.js';
import { realFs, type StateFs } from '../../../lib/state-files.js';
import { scratchDir } from '../../helpers/floorwatch.js';

const HB = 100;

/** The witness `w` of brains a and b on `clock` (lease: 2 heartbeats), started; `io` is where its answers and saves go. */
function startedWitness(clock: FakeClock, io: Pick<RoleMachineOptions, 'send' | 'saveVoter' | 'voterState'>): RoleMachine {
  const m = new RoleMachine({ id: 'w', kind: 'witness', others: ['a', 'b'], clock, heartbeatMs: HB, missedHeartbeats: 2, rank: 2, ...io });
  m.start();
  return m;
}

/** A witness on a FakeClock whose answers are collected; `file`: its voter state on disk. */
function witness(clock: FakeClock, file: string) {
  const sent: { to: string; msg: PairMessage }[] = [];
  const saved = loadVoterState(file);
  const m = startedWitness(clock, {
    send: (to, msg) => sent.push({ to, msg }),
    ...(saved ? { voterState: saved } : {}),
    saveVoter: (s) => (saveVoterState(file, s), true),
  });
  /** The witness's answer to a vote for `term` from `from` holding state of term `synced`. */
  const vote = (from: string, term: number, synced: number) => {
    sent.length = 0;
    m.receive({ t: 'vote', from, term, seq: 1, synced });
    const g = sent.find((s) => s.msg.t === 'grant')?.msg;
    return g?.t === 'grant' ? g.ok : undefined;
  };
  const heartbeat = (from: string, term: number) => {
    sent.length = 0;
    m.receive({ t: 'hb', from, term, role: 'primary', seq: 2 });
    const a = sent.find((s) => s.msg.t === 'ack')?.msg;
    return a?.t === 'ack' ? a.ok : undefined;
  };
  return { m, vote, heartbeat, saved };
}

t.test('a restarted witness neither grants a term twice nor elects a brain older than the last primary', async (t) => {
  const dir = scratchDir(t);
  const file = voterFilePath(dir, 'w');
  const clock = new FakeClock(0);
  const w1 = witness(clock, file);
  t.equal(w1.vote('a', 1, 0), true, 'term 1 granted to a');
  t.equal(w1.heartbeat('a', 1), true, 'a renews as primary of term 1');
  clock.advance(10 * HB);
  t.equal(w1.vote('b', 2, 1), true, 'term 2 granted to b (a unheard)');
  t.equal(w1.heartbeat('b', 2), true, 'b renews as primary of term 2');
  t.same(JSON.parse(fs.readFileSync(file, 'utf8')), { term: 2, holder: 'b', lastPrimaryTerm: 2 }, 'the file holds the last grant');

  // The witness restarts (a new process: a new machine on the same file), moments later.
  const w2 = witness(clock, file);
  t.same(w2.saved, { term: 2, holder: 'b', lastPrimaryTerm: 2 }, 'restored from the file');
  t.equal(w2.m.term, 2, 'starts at the term it had, not 0');
  t.equal(w2.vote('a', 2, 2), false, 'term 2 is not granted again, to another brain');
  clock.advance(10 * HB);
  t.equal(w2.vote('a', 3, 1), false, 'a brain holding term 1 state is refused after a term-2 primary');
  t.equal(w2.vote('a', 3, 2), true, 'a caught-up brain is granted the next term');

  // The same restart without the file: the old behaviour this guards against.
  fs.rmSync(file);
  const w3 = witness(new FakeClock(0), file);
  t.equal(w3.m.term, 0, 'without the file the witness starts at term 0');
  t.equal(w3.vote('a', 2, 1), true, '...and grants a stale brain a term already held (what the file prevents)');
});

t.test('a restarted witness keeps the promise it may have given for one more lease', async (t) => {
  const dir = scratchDir(t);
  const file = voterFilePath(dir, 'w');
  const clock = new FakeClock(0);
  const w1 = witness(clock, file);
  t.equal(w1.vote('a', 1, 0), true);
  const w2 = witness(clock, file);
  t.equal(w2.vote('b', 2, 0), false, 'no grant to b at once: a may still hold a lease the old process promised');
  clock.advance(2 * HB + 1);
  t.equal(w2.vote('b', 2, 0), true, 'after one lease b is granted');
});

t.test('the file: written with fsync before the answer, mode 0600, nothing written on a plain renewal', async (t) => {
  const dir = scratchDir(t);
  const file = voterFilePath(join(dir, 'state'), 'w');
  const calls: string[] = [];
  const recording = new Proxy(realFs, {
    get: (target, key: keyof StateFs) =>
      typeof target[key] === 'function'
        ? (...args: unknown[]) => (calls.push(String(key)), (target[key] as (...a: unknown[]) => unknown)(...args))
        : target[key],
  });
  const state: VoterState = { term: 7, holder: 'a', lastPrimaryTerm: 6 };
  saveVoterState(file, state, recording);
  t.ok(calls.includes('fsyncSync'), `fsync'ed (calls: ${calls.join(' ')})`);
  t.ok(calls.indexOf('renameSync') > calls.indexOf('fsyncSync'), 'the data is synced before the rename makes it the file');
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'mode 0600');
  t.same(loadVoterState(file), state, 'read back as written');

  let writes = 0;
  const clock = new FakeClock(0);
  const m = startedWitness(clock, { send: () => undefined, saveVoter: () => (writes++, true) });
  m.receive({ t: 'hb', from: 'a', term: 1, role: 'primary', seq: 1 });
  const afterFirst = writes;
  for (let i = 0; i < 50; i++) {
    clock.advance(HB);
    m.receive({ t: 'hb', from: 'a', term: 1, role: 'primary', seq: i + 2 });
  }
  t.ok(afterFirst >= 1, `the new term written (${afterFirst} write(s))`);
  t.equal(writes, afterFirst, '50 renewals of the same term wrote nothing more');
});

t.test('a voter that cannot save refuses the grant; a file that is not a voter state is refused by name', async (t) => {
  const clock = new FakeClock(0);
  const sent: PairMessage[] = [];
  const m = startedWitness(clock, { send: (_to, msg) => sent.push(msg), saveVoter: () => false });
  m.receive({ t: 'vote', from: 'a', term: 1, seq: 1, synced: 0 });
  t.same(
    sent.filter((s) => s.t === 'grant').map((s) => s.t === 'grant' && s.ok),
    [false],
    'refused: a grant it could not remember',
  );
  t.equal(m.term, 0);

  const dir = scratchDir(t);
  const bad = join(dir, 'pair-voter-w.json');
  fs.writeFileSync(bad, 'not json');
  t.throws(() => loadVoterState(bad), { message: new RegExp(`${bad}: not a pair voter state`) });
  fs.writeFileSync(bad, '{"term": -1, "lastPrimaryTerm": 0}');
  t.throws(() => loadVoterState(bad), { message: /not a pair voter state \(want/ });
  t.equal(loadVoterState(join(dir, 'absent.json')), undefined, 'no file: a first start');
});
