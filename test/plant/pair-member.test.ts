import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { PairMember, type PairHeartbeat, type RoleChange } from '../../plant/pair/pair-member.js';

/** Two members on a fake network that can be cut; delivery is synchronous. */
function pair(clock: FakeClock) {
  const net = { up: true };
  const changes: Record<string, RoleChange[]> = { a: [], b: [] };
  const positions: Record<string, number> = { a: 100, b: 100 };
  const members: Record<string, PairMember> = {};
  const make = (id: 'a' | 'b', rank: number, other: 'a' | 'b') =>
    new PairMember({
      id,
      rank,
      clock,
      heartbeatMs: 100,
      missedHeartbeats: 3,
      startedUs: clock.nowUs(),
      position: () => positions[id]!,
      send: (hb: PairHeartbeat) => {
        if (net.up) members[other]?.onPeerHeartbeat(hb);
      },
      onRoleChange: (c) => changes[id]!.push(c),
    });
  members['a'] = make('a', 0, 'b');
  members['b'] = make('b', 1, 'a');
  return { a: members['a'], b: members['b'], net, changes, positions, members };
}

t.test('at startup the better-ranked member becomes primary and the other stays secondary', async (t) => {
  const clock = new FakeClock(0);
  const { a, b } = pair(clock);
  b.start();
  a.start();
  clock.advance(1000);
  t.equal(a.role, 'primary');
  t.equal(b.role, 'secondary');
  t.equal(a.failovers, 0);
});

t.test('the secondary takes over after exactly 3 missed heartbeats and replays from the last heartbeat position', async (t) => {
  const clock = new FakeClock(0);
  const { a, b, net, changes, positions } = pair(clock);
  a.start();
  b.start();
  clock.advance(1000);
  positions['a'] = 500;
  clock.advance(100); // a heartbeat carrying position 500 reaches b
  const lastHeard = clock.now();
  net.up = false;
  a.stop();
  clock.advance(299 - (clock.now() - lastHeard));
  t.equal(b.role, 'secondary', 'not yet at 299 ms');
  clock.advance(1);
  t.equal(b.role, 'primary', 'primary at 300 ms');
  const c = changes['b']!.at(-1)!;
  t.match(c, { role: 'primary', reason: 'missed_heartbeats', replayFrom: 501 });
  t.ok(b.term > a.term, 'a takeover raises the term');
});

t.test('a returning member rejoins as secondary', async (t) => {
  const clock = new FakeClock(0);
  const p = pair(clock);
  p.a.start();
  p.b.start();
  clock.advance(500);
  p.a.stop();
  p.net.up = false;
  clock.advance(500);
  t.equal(p.b.role, 'primary');
  p.net.up = true;
  const again = new PairMember({
    id: 'a',
    rank: 0,
    clock,
    heartbeatMs: 100,
    missedHeartbeats: 3,
    startedUs: clock.nowUs(),
    position: () => 0,
    send: (hb) => p.b.onPeerHeartbeat(hb),
    onRoleChange: () => undefined,
  });
  p.members['a'] = again;
  again.start();
  clock.advance(2000);
  t.equal(again.role, 'secondary', 'the better rank does not grab the lead back');
  t.equal(p.b.role, 'primary');
});

t.test('split brain after a partition heals to exactly one primary: the usurper, with the higher term, keeps the lead', async (t) => {
  const clock = new FakeClock(0);
  const { a, b, net, changes } = pair(clock);
  a.start();
  b.start();
  clock.advance(500);
  net.up = false;
  clock.advance(500);
  t.equal(a.role, 'primary');
  t.equal(b.role, 'primary', 'partitioned: two primaries');
  t.ok(b.term > a.term, 'the usurper has the higher term');
  const usurperTerm = b.term;
  net.up = true;
  clock.advance(200);
  t.equal(b.role, 'primary', 'the higher term keeps the lead (the desks already follow it)');
  t.equal(a.role, 'secondary');
  t.equal(changes['a']!.at(-1)!.reason, 'split_brain_lost');
  t.equal(b.term, usurperTerm, 'no re-announce: the winner already holds the highest term');
  t.equal(a.term, usurperTerm, 'the loser adopts it');
});

t.test('a primary that stalls past the deadline wakes into a split brain it loses to the healthy usurper, once', async (t) => {
  const clock = new FakeClock(0);
  const { a, b, net, changes, positions } = pair(clock);
  a.start();
  b.start();
  clock.advance(500);
  t.equal(a.role, 'primary');
  // a's event loop stops: it neither sends nor hears (a one-way cut would do the same to b).
  net.up = false;
  clock.advance(350);
  positions['b'] = 180;
  t.equal(b.role, 'primary', 'b took over from the stalled a');
  net.up = true;
  clock.advance(1000);
  t.equal(b.role, 'primary');
  t.equal(a.role, 'secondary');
  t.same(
    changes['b']!.map((c) => c.reason),
    ['missed_heartbeats'],
    'one takeover, no flapping back and forth',
  );
  t.same(
    changes['a']!.map((c) => c.reason),
    ['startup', 'split_brain_lost'],
  );
  t.equal(a.failovers + b.failovers, 1);
});

t.test('on equal terms the winner of a split brain re-announces under a higher term, once, so desks follow it at once', async (t) => {
  const clock = new FakeClock(0);
  const base = { t: 'pair' as const, sentUs: 0, position: 0, yielding: false, role: 'primary' as const };
  const changes: RoleChange[] = [];
  const m = new PairMember({
    id: 'a',
    rank: 0,
    clock,
    heartbeatMs: 100,
    missedHeartbeats: 3,
    startedUs: 1_000,
    position: () => 41,
    send: () => undefined,
    onRoleChange: (c) => changes.push(c),
  });
  m.start();
  clock.advance(400);
  t.equal(m.term, 1);
  m.onPeerHeartbeat({ ...base, id: 'b', rank: 1, term: 1, startedUs: 2_000 });
  t.equal(m.role, 'primary', 'earlier start wins on equal terms');
  t.equal(m.term, 2, 'above the peer');
  t.match(changes.at(-1), { role: 'primary', reason: 'split_brain_won', term: 2, replayFrom: 42 });
  m.onPeerHeartbeat({ ...base, id: 'b', rank: 1, term: 1, startedUs: 2_000, sentUs: 25 });
  t.equal(m.term, 2, 'a late heartbeat of the loser does not raise it again');
  t.equal(changes.length, 2);
});

t.test(
  'a member that restarts and grabs the lead without hearing its peer loses the split brain to the long-running primary',
  async (t) => {
    const clock = new FakeClock(0);
    const base = { t: 'pair' as const, sentUs: 0, position: 0, yielding: false, role: 'primary' as const };
    const fresh = new PairMember({
      id: 'a',
      rank: 0,
      clock,
      heartbeatMs: 100,
      missedHeartbeats: 3,
      startedUs: 5_000_000,
      position: () => 0,
      send: () => undefined,
      onRoleChange: () => undefined,
    });
    fresh.start();
    clock.advance(400);
    t.equal(fresh.role, 'primary');
    fresh.onPeerHeartbeat({ ...base, id: 'b', rank: 1, term: 7, startedUs: 1_000_000 });
    t.equal(fresh.role, 'secondary', 'the better rank does not save a fresh member');
  },
);

t.test('split brain with equal start times is resolved by rank, the same way on both sides', async (t) => {
  const clock = new FakeClock(0);
  const { a, b } = pair(clock);
  // Neither hears the other at startup, so both take the lead with term 1.
  const base = { t: 'pair' as const, startedUs: 0, sentUs: 0, position: 0, yielding: false };
  a.start();
  b.start();
  a.role = 'primary';
  b.role = 'primary';
  a.term = b.term = 1;
  a.onPeerHeartbeat({ ...base, id: 'b', rank: 1, role: 'primary', term: 1 });
  b.onPeerHeartbeat({ ...base, id: 'a', rank: 0, role: 'primary', term: 1 });
  t.equal(a.role, 'primary');
  t.equal(b.role, 'secondary');
});

t.test('a primary whose input is dead hands over at once to a healthy secondary', async (t) => {
  const clock = new FakeClock(0);
  const { a, b, changes } = pair(clock);
  a.start();
  b.start();
  clock.advance(500);
  a.setYielding(true);
  t.equal(a.role, 'secondary');
  t.equal(b.role, 'primary');
  t.equal(changes['b']!.at(-1)!.reason, 'peer_yielded');
});
