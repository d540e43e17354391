/**
 * The brain pair's role machine on a simulated network (1 ms per hop) and one FakeClock, stepped
 * 1 ms at a time: after every step, at most one node may act as primary (mayAct), whatever the
 * fault. Each row of the table is one single fault (and a documented double fault) with what
 * must follow: who leads, how soon, and that nobody else acted meanwhile.
 */
import t from 'tap';
import { FakeClock, type Clock, type Timer } from '../../../lib/clock.js';
import { RoleMachine, type PairMessage, type RoleChange } from '../../../brain/pair/role.js';

const HB = 100;
const ids = ['a', 'b', 'w'] as const;
type Id = (typeof ids)[number];

/** A node's clock: while "stopped" (SIGSTOP) its timers and messages wait, then run in order. */
class NodeClock implements Clock {
  paused = false;
  dead = false;
  readonly #deferred: (() => void)[] = [];
  readonly #queued = new Set<() => void>();
  constructor(readonly base: FakeClock) {}
  now = () => this.base.now();
  nowUs = () => this.base.nowUs();
  monotonic = () => this.base.monotonic();
  run(fn: () => void): void {
    if (this.dead) return;
    if (!this.paused) return fn();
    if (this.#queued.has(fn)) return; // an interval due many times while stopped fires once on waking
    this.#queued.add(fn);
    this.#deferred.push(fn);
  }
  resume(): void {
    this.paused = false;
    const fns = this.#deferred.splice(0);
    this.#queued.clear();
    for (const fn of fns) fn();
  }
  setTimeout(fn: () => void, ms: number): Timer {
    return this.base.setTimeout(() => this.run(fn), ms);
  }
  setInterval(fn: () => void, ms: number): Timer {
    return this.base.setInterval(() => this.run(fn), ms);
  }
}

function floor() {
  const clock = new FakeClock(0);
  const cut = new Set<string>();
  const clocks = Object.fromEntries(ids.map((id) => [id, new NodeClock(clock)])) as Record<Id, NodeClock>;
  const changes: Record<Id, RoleChange[]> = { a: [], b: [], w: [] };
  const nodes = {} as Record<Id, RoleMachine>;
  const link = (x: string, y: string) => [x, y].sort().join('-');
  const synced: Partial<Record<Id, number>> = {};
  const make = (id: Id) => {
    const i = ids.indexOf(id);
    const own = new NodeClock(clock);
    clocks[id] = own;
    nodes[id] = new RoleMachine({
      id,
      kind: id === 'w' ? 'witness' : 'brain',
      others: ids.filter((o) => o !== id),
      clock: own,
      heartbeatMs: HB,
      missedHeartbeats: 2,
      rank: i,
      send: (to: string, msg: PairMessage) => {
        if (cut.has(link(id, to)) || own.dead) return;
        clock.setTimeout(() => {
          if (!cut.has(link(id, to))) clocks[to as Id].run(() => nodes[to as Id].receive(msg));
        }, 1);
      },
      onRole: (c) => changes[id].push(c),
      syncedTerm: () => synced[id] ?? Number.MAX_SAFE_INTEGER,
    });
  };
  for (const id of ids) make(id);
  let overlaps: string[] = [];
  /** Steps the clock 1 ms at a time, recording any instant two nodes could act. */
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock.advance(1);
      const acting = ids.filter((id) => !clocks[id].paused && !clocks[id].dead && nodes[id].mayAct());
      // A paused node cannot act; it must not be able to once it wakes either (checked after resume).
      if (acting.length > 1) overlaps.push(`${clock.now()}: ${acting.join('+')}`);
    }
  };
  const start = () => {
    for (const id of ids) nodes[id].start();
  };
  const primaries = () => ids.filter((id) => nodes[id].role === 'primary');
  /** ms until `id` is primary, stepping at most `limit`. */
  const until = (id: Id, limit: number): number => {
    const t0 = clock.now();
    while (nodes[id].role !== 'primary' && clock.now() - t0 < limit) run(1);
    return clock.now() - t0;
  };
  return {
    clock,
    nodes,
    clocks,
    changes,
    run,
    start,
    primaries,
    until,
    cutLink: (x: Id, y: Id) => cut.add(link(x, y)),
    heal: () => cut.clear(),
    kill: (id: Id) => {
      clocks[id].dead = true;
    },
    /** A fresh process with the same id (the old one's timers stay dead). */
    restart: (id: Id) => {
      clocks[id].dead = true;
      make(id);
      nodes[id].start();
    },
    synced,
    overlaps: () => overlaps,
    resetOverlaps: () => (overlaps = []),
  };
}

t.test('start-up: the first-ranked brain leads, the other follows, the witness only votes', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  t.same(f.primaries(), ['a']);
  t.equal(f.nodes.b.role, 'secondary');
  t.equal(f.nodes.w.role, 'witness');
  t.ok(f.nodes.a.mayAct(), 'a holds its lease');
  t.equal(f.nodes.a.term, 1);
  t.same(f.overlaps(), []);
  f.run(5000);
  t.equal(f.changes.a.length, 2, `no flapping: ${JSON.stringify(f.changes.a)}`);
});

t.test('primary killed: the secondary leads within 3 heartbeats, under a higher term', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  f.kill('a');
  const ms = f.until('b', 2000);
  t.ok(ms <= 3 * HB, `b primary ${ms} ms after the kill (≤ ${3 * HB})`);
  t.ok(f.nodes.b.term > f.nodes.a.term);
  t.ok(f.nodes.b.mayAct());
  t.same(f.overlaps(), []);
});

t.test('primary stalled (SIGSTOP) then resumed: b leads within 3 heartbeats; a wakes unable to act and follows', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  f.clocks.a.paused = true;
  const ms = f.until('b', 2000);
  t.ok(ms <= 3 * HB, `b primary ${ms} ms after the stop`);
  f.run(1000);
  f.clocks.a.resume();
  t.notOk(f.nodes.a.mayAct(), 'a may not act the instant it wakes (its lease lapsed on the monotonic clock)');
  f.run(1000);
  t.same(f.primaries(), ['b']);
  t.equal(f.nodes.a.role, 'secondary');
  t.same(f.overlaps(), []);
});

t.test('link between the brains cut, the witness sees both: no take-over at all, then it heals quietly', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  const term = f.nodes.a.term;
  f.cutLink('a', 'b');
  f.run(10_000);
  t.same(f.primaries(), ['a'], `a led throughout: ${JSON.stringify(f.changes)}`);
  t.ok(f.nodes.a.mayAct());
  t.same(
    f.changes.b.map((c) => c.role),
    ['secondary'],
    'b never became primary',
  );
  f.heal();
  f.run(2000);
  t.same(f.primaries(), ['a'], `after heal: ${JSON.stringify(f.changes)}`);
  t.ok(f.nodes.a.term >= term);
  t.ok(f.nodes.b.heard('a')!.ageMs < HB * 2, 'b hears a again');
  t.same(f.overlaps(), []);
});

t.test('primary isolated from everyone: it stops acting before the other is elected', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  f.cutLink('a', 'b');
  f.cutLink('a', 'w');
  const ms = f.until('b', 2000);
  t.ok(ms <= 3 * HB, `b primary ${ms} ms after the cut`);
  t.notOk(f.nodes.a.mayAct(), 'a no longer acts');
  f.run(500);
  t.equal(f.nodes.a.role, 'secondary', 'and has stepped down on its own');
  t.same(f.overlaps(), []);
  f.heal();
  f.run(1000);
  t.same(f.primaries(), ['b'], 'after the heal the new primary stays');
});

t.test('hand-over: the primary steps down first, the secondary leads within a round trip or two', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  t.same(f.nodes.b.handover(), { ok: false, why: 'not primary (secondary)' });
  t.same(f.nodes.a.handover(), { ok: true });
  t.notOk(f.nodes.a.mayAct());
  const ms = f.until('b', 1000);
  t.ok(ms <= 10, `b primary ${ms} ms after the hand-over`);
  t.equal(f.changes.a.at(-1)?.reason, 'handover');
  f.run(3000);
  t.same(f.primaries(), ['b'], 'a does not take it back');
  t.same(f.overlaps(), []);
});

t.test('hand-over refused without a live secondary', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  f.kill('b');
  f.run(500);
  t.match(f.nodes.a.handover(), { ok: false, why: /no fresh secondary/ });
  t.ok(f.nodes.a.mayAct());
});

t.test(
  'witness lost: the pair goes on (the secondary is the majority); then the primary lost too: nobody leads (double fault)',
  async (t) => {
    const f = floor();
    f.start();
    f.run(1000);
    f.kill('w');
    f.run(3000);
    t.same(f.primaries(), ['a'], 'a keeps leading on b’s grants');
    t.ok(f.nodes.a.mayAct());
    f.kill('a');
    f.run(3000);
    t.same(
      f.primaries().filter((id) => id !== 'a'),
      [],
      'b alone cannot win a majority: it stays secondary',
    );
    t.same(f.overlaps(), []);
  },
);

t.test('the secondary stalled and resumed: no take-over from the live primary', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  f.clocks.b.paused = true;
  f.run(1000);
  f.clocks.b.resume();
  f.run(2000);
  t.same(f.primaries(), ['a']);
  t.same(f.overlaps(), []);
});

t.test('kill and restart each brain in turn: one primary at every instant, each hand-off within 3 heartbeats', async (t) => {
  const f = floor();
  f.start();
  f.run(1000);
  for (let round = 0; round < 10; round++) {
    const leader = f.primaries()[0] as 'a' | 'b';
    const other = leader === 'a' ? 'b' : 'a';
    f.kill(leader);
    const ms = f.until(other, 2000);
    t.ok(ms <= 3 * HB, `round ${round}: ${other} primary ${ms} ms after ${leader} was killed`);
    // The killed brain restarts: a fresh machine with the same id, starting as secondary.
    f.restart(leader);
    f.run(500);
    t.same(f.primaries(), [other], `round ${round}: the restarted brain follows`);
  }
  t.same(f.overlaps(), []);
});

t.test(
  'a brain restarted and not yet caught up cannot lead: the stalled primary keeps the role once it wakes (double fault)',
  async (t) => {
    const f = floor();
    f.start();
    f.run(1000);
    f.kill('a');
    f.until('b', 2000);
    f.run(1000);
    // a comes back with the state of term 1; b has led since under term 2
    f.synced.a = 1;
    f.restart('a');
    f.run(500);
    f.clocks.b.paused = true;
    f.run(3000);
    t.same(
      f.primaries().filter((id) => id !== 'b'),
      [],
      'a never leads on stale state',
    );
    f.clocks.b.resume();
    f.run(1000);
    t.same(f.primaries(), ['b'], 'b leads again once it wakes');
    // caught up (the replica applied b's state): now a may take over
    f.synced.a = f.nodes.b.term;
    f.kill('b');
    const ms = f.until('a', 2000);
    t.ok(ms <= 3 * HB, `a primary ${ms} ms after b was killed, once caught up`);
    t.same(f.overlaps(), []);
  },
);
