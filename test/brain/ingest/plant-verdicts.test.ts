/**
 * A stall is not a death (#19): heartbeats that come back within the confirm window are a
 * `plant.stalled` (info), a takeover from a primary that comes back as secondary is a
 * `plant.role_swap` (info); a silence that lasts, a restarted process (new pid) and a takeover
 * from a dead, stale or silent primary are what they were before. Fake clock, no sockets.
 */
import t from 'tap';
import { FakeClock } from '../../../lib/clock.js';
import { PlantVerdicts } from '../../../brain/ingest/plant-verdicts.js';
import type { HealthHeartbeat } from '../../../plant/health/types.js';
import { idleHeartbeat } from '../../helpers/idle-health.js';

function hb(component: string, over: Partial<HealthHeartbeat> = {}): HealthHeartbeat {
  return {
    ...idleHeartbeat(
      { component, kind: 'feed_handler', pair: 'fh', role: 'secondary', term: 1, failovers: 0 },
      { hb_seq: 1, interval_ms: 100, pid: 100, time_us: 0, mono_us: 0 },
    ),
    ...over,
  };
}

function setup(aliveMaxMs?: number) {
  const clock = new FakeClock();
  const published: string[] = [];
  const v = new PlantVerdicts({
    clock,
    confirmMs: 2000,
    ...(aliveMaxMs !== undefined ? { aliveMaxMs } : {}),
    publish: (kind, h, _sev, attrs) => published.push(`${kind} ${h.component}${attrs?.['previous'] ? ` from ${attrs['previous']}` : ''}`),
  });
  // fh-a is the steady primary, fh-b its secondary.
  for (let i = 0; i < 2; i++) {
    v.heartbeat(hb('fh-a', { role: 'primary' }));
    v.heartbeat(hb('fh-b', { pid: 200 }));
  }
  v.roleChange('fh-a', 'secondary', 'primary', hb('fh-a', { role: 'primary' }));
  published.length = 0;
  return { clock, v, published };
}

t.test('a silence that ends within the window is a stall; one that lasts is a loss', async (t) => {
  const { clock, v, published } = setup();
  v.lost('fh-b', hb('fh-b', { pid: 200 }));
  clock.advance(1400);
  v.recovered('fh-b', hb('fh-b', { pid: 200, counters: { loop_stall_ms: 1350 } }));
  clock.advance(5000);
  t.same(published, ['plant.stalled fh-b'], 'back within 2 s, same process: stalled, not lost');

  published.length = 0;
  v.lost('fh-b', hb('fh-b', { pid: 200 }));
  clock.advance(2000);
  t.same(published, ['plant.heartbeat_lost fh-b'], 'still silent after 2 s: lost');
  v.recovered('fh-b', hb('fh-b', { pid: 200 }));
  t.same(published, ['plant.heartbeat_lost fh-b', 'plant.heartbeat_back fh-b'], 'then back');
});

t.test('back within the window under a new pid: it died and was restarted', async (t) => {
  const { clock, v, published } = setup();
  v.lost('fh-b', hb('fh-b', { pid: 200 }));
  clock.advance(800);
  v.recovered('fh-b', hb('fh-b', { pid: 201 }));
  t.same(published, ['plant.heartbeat_lost fh-b', 'plant.heartbeat_back fh-b']);
});

t.test('a takeover from a primary that stalled and came back as secondary is a role swap', async (t) => {
  const { clock, v, published } = setup();
  v.heartbeat(hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
  v.roleChange('fh-b', 'secondary', 'primary', hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
  t.same(published, [], 'held while it is unknown whether fh-a lives');
  clock.advance(300);
  v.heartbeat(hb('fh-a', { role: 'secondary' }));
  clock.advance(1700);
  t.same(published, ['plant.role_swap fh-b from fh-a']);
});

t.test('a takeover from a primary that is not heard again, or restarted, is a fail-over', async (t) => {
  for (const [what, after] of [
    ['silent', () => {}],
    ['restarted under a new pid', (v: PlantVerdicts) => v.heartbeat(hb('fh-a', { pid: 101 }))],
  ] as const) {
    const { clock, v, published } = setup();
    v.heartbeat(hb('fh-b', { pid: 200, role: 'primary' }));
    v.roleChange('fh-b', 'secondary', 'primary', hb('fh-b', { pid: 200, role: 'primary' }));
    clock.advance(500);
    after(v);
    clock.advance(1500);
    t.same(published, ['plant.role_change fh-b from fh-a'], what);
  }
});

t.test('a takeover from a stale primary is published at once; a first primary is an election', async (t) => {
  const { v, published } = setup();
  v.heartbeat(hb('fh-a', { role: 'primary', state: 'stale' }));
  v.heartbeat(hb('fh-b', { pid: 200, role: 'primary' }));
  v.roleChange('fh-b', 'secondary', 'primary', hb('fh-b', { pid: 200, role: 'primary' }));
  t.same(published, ['plant.role_change fh-b from fh-a']);
  const fresh = new PlantVerdicts({ clock: new FakeClock(), confirmMs: 2000, publish: (kind) => published.push(kind) });
  fresh.heartbeat(hb('tp-a', { pair: 'tp', role: 'primary' }));
  fresh.roleChange('tp-a', 'secondary', 'primary', hb('tp-a', { pair: 'tp', role: 'primary' }));
  t.equal(published.at(-1), 'plant.role_elected');
});

t.test('the wrapper says the process lives: a silence is waited out up to aliveMaxMs, not 2 s (#19)', async (t) => {
  const { clock, v, published } = setup(10_000);
  v.processEvent('start', 100); // fh-a's wrapper started it (pid 100)
  v.processEvent('start', 200);
  // fh-a, the primary, is starved of CPU for 6 s: fh-b takes over, fh-a's heartbeats are lost.
  v.heartbeat(hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
  v.roleChange('fh-b', 'secondary', 'primary', hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
  v.lost('fh-a', hb('fh-a', { role: 'primary' }));
  clock.advance(5_800);
  t.same(published, [], 'alive by its wrapper: still a suspicion after 5.8 s');
  v.heartbeat(hb('fh-a', { role: 'secondary' }));
  v.recovered('fh-a', hb('fh-a', { role: 'secondary', counters: { loop_stall_ms: 5_700 } }));
  clock.advance(2_000);
  t.same(published, ['plant.stalled fh-a', 'plant.role_swap fh-b from fh-a'], 'a stall and a role swap, nothing to page');
});

t.test('a silent component whose wrapper reports its exit is lost at once; one silent past aliveMaxMs is lost', async (t) => {
  {
    const { clock, v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.heartbeat(hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
    v.roleChange('fh-b', 'secondary', 'primary', hb('fh-b', { pid: 200, role: 'primary', term: 2 }));
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    clock.advance(3_000);
    t.same(published, [], 'alive: held');
    v.processEvent('exit', 100);
    t.same(published, ['plant.heartbeat_lost fh-a', 'plant.role_change fh-b from fh-a'], 'the exit ends the wait');
  }
  {
    const { clock, v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    clock.advance(9_999);
    t.same(published, [], 'alive and silent: held');
    clock.advance(1);
    t.same(published, ['plant.heartbeat_lost fh-a'], 'hung past 10 s: lost');
  }
  {
    const { v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.processEvent('exit', 100);
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    t.same(published, ['plant.heartbeat_lost fh-a'], 'exited before the silence: lost at once');
  }
});

t.test('a pair is down only when every member heard is lost by the wrapper-aware verdict (#19)', async (t) => {
  {
    // The floor starting at load 40: both feed handlers alive by their wrappers, both starved silent for 9 s.
    const { clock, v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.processEvent('start', 200);
    v.lost('fh-a', hb('fh-a', { role: 'primary', state: 'starting' }));
    clock.advance(500);
    v.lost('fh-b', hb('fh-b', { pid: 200, state: 'starting' }));
    clock.advance(9_000);
    t.same(published, [], 'both alive and starting, silent 9 s: no loss, no pair down');
    v.heartbeat(hb('fh-a', { role: 'primary' }));
    v.recovered('fh-a', hb('fh-a', { role: 'primary' }));
    v.heartbeat(hb('fh-b', { pid: 200 }));
    v.recovered('fh-b', hb('fh-b', { pid: 200 }));
    clock.advance(20_000);
    t.same(published, ['plant.stalled fh-a', 'plant.stalled fh-b'], 'they were slow to start: stalls, nothing to page');
  }
  {
    // Only one member heard yet (its peer's process started later): its silence while alive is no pair down.
    const clock = new FakeClock();
    const published: string[] = [];
    const v = new PlantVerdicts({
      clock,
      confirmMs: 2000,
      aliveMaxMs: 10_000,
      publish: (kind, h) => published.push(`${kind} ${h.component}`),
    });
    v.processEvent('start', 100, 5000);
    v.heartbeat(hb('fh-a', { state: 'starting', start_ticks: 5000 }));
    v.lost('fh-a', hb('fh-a', { state: 'starting', start_ticks: 5000 }));
    clock.advance(3_000);
    t.same(published, [], 'the only member heard, alive, silent 3 s: not down');
  }
  {
    // A real double kill under the wrappers: both exits reported before the brain notices the silence.
    const { clock, v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.processEvent('start', 200);
    v.processEvent('exit', 100);
    v.processEvent('exit', 200);
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    t.same(published, ['plant.heartbeat_lost fh-a'], 'one leg exited: lost at once, the pair is not down');
    v.lost('fh-b', hb('fh-b', { pid: 200 }));
    t.same(
      published,
      ['plant.heartbeat_lost fh-a', 'plant.heartbeat_lost fh-b', 'plant.pair_down fh-b'],
      'both exited: the pair is down at once',
    );
    clock.advance(1_000);
    v.heartbeat(hb('fh-a', { pid: 300 }));
    v.recovered('fh-a', hb('fh-a', { pid: 300 }));
    t.same(published.slice(3), ['plant.heartbeat_back fh-a', 'plant.pair_up fh-a'], 'a restarted leg heard: the pair is up');
  }
  {
    // Not under a wrapper: a dead pair is down after the confirm window, and exits arriving after the silence end it at once.
    const { clock, v, published } = setup();
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    v.lost('fh-b', hb('fh-b', { pid: 200 }));
    clock.advance(1_999);
    t.same(published, [], 'within the window: a suspicion');
    clock.advance(1);
    t.same(published, ['plant.heartbeat_lost fh-a', 'plant.heartbeat_lost fh-b', 'plant.pair_down fh-b'], 'after 2 s: the pair is down');
  }
  {
    const { v, published } = setup(10_000);
    v.processEvent('start', 100);
    v.processEvent('start', 200);
    v.lost('fh-a', hb('fh-a', { role: 'primary' }));
    v.lost('fh-b', hb('fh-b', { pid: 200 }));
    v.processEvent('exit', 200);
    v.processEvent('exit', 100);
    t.same(
      published,
      ['plant.heartbeat_lost fh-b', 'plant.heartbeat_lost fh-a', 'plant.pair_down fh-a'],
      'exits after the silence: down at once',
    );
  }
});

t.test('alive is keyed on pid and start time: a reused pid is another process (#19)', async (t) => {
  // Outside a pair, so that only the component's own verdict is in view.
  const fhA = (startTicks: number) => hb('fh-a', { pair: null, start_ticks: startTicks });
  const make = () => {
    const clock = new FakeClock();
    const published: string[] = [];
    const v = new PlantVerdicts({
      clock,
      confirmMs: 2000,
      aliveMaxMs: 10_000,
      publish: (kind, h) => published.push(`${kind} ${h.component}`),
    });
    return { clock, v, published };
  };
  {
    // fh-a (pid 100, started at tick 5000) died and its exit never reached the brain; the kernel gave pid 100
    // to another wrapped process (tick 9000). fh-a's silence must not be waited out as if it lived.
    const { v, published } = make();
    v.processEvent('start', 100, 5000);
    v.heartbeat(fhA(5000));
    v.processEvent('start', 100, 9000);
    v.processEvent('exit', 100, 5000);
    v.processEvent('start', 100, 9000);
    v.lost('fh-a', fhA(5000));
    t.same(
      published,
      ['plant.heartbeat_lost fh-a'],
      'its own exit was reported: lost at once, the new owner of pid 100 does not keep it alive',
    );
  }
  {
    const { clock, v, published } = make();
    // The exit was missed altogether: only the new process's start under the same pid is known.
    v.heartbeat(fhA(5000));
    v.processEvent('start', 100, 9000);
    v.lost('fh-a', fhA(5000));
    clock.advance(2_000);
    t.same(published, ['plant.heartbeat_lost fh-a'], 'pid 100 alive as another process: lost after 2 s, not held 10 s');
  }
  {
    const { clock, v, published } = make();
    // The exit of an earlier process that had pid 100 (reported late) does not end the wait for fh-a, which lives.
    v.processEvent('start', 100, 5000);
    v.heartbeat(fhA(5000));
    v.lost('fh-a', fhA(5000));
    v.processEvent('exit', 100, 4000);
    clock.advance(9_000);
    t.same(published, [], "another process's exit under the same pid: fh-a is still waited for");
    v.heartbeat(fhA(5000));
    v.recovered('fh-a', fhA(5000));
    t.same(published, ['plant.stalled fh-a'], 'back, same process: a stall');
  }
  {
    const { clock, v, published } = make();
    // Back within the window with the same pid but another start time: it died and was restarted (pid reused by itself).
    v.heartbeat(fhA(5000));
    v.lost('fh-a', fhA(5000));
    clock.advance(1_000);
    v.heartbeat(fhA(9000));
    v.recovered('fh-a', fhA(9000));
    t.same(published, ['plant.heartbeat_lost fh-a', 'plant.heartbeat_back fh-a'], 'same pid, new start time: lost, then back');
  }
});
