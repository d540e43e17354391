// Each rule kind on the real engine (fake clock, groups on their aligned slots).
import t from 'tap';
import { harness } from './harness.js';

t.test('threshold: above with for, and a below level', async (t) => {
  const h = harness({
    'r.yaml': `rules:
  - { name: Hot, kind: threshold, series: { measurement: m, field: v }, above: 10, for: 2s, severity: minor }
  - { name: Low, kind: threshold, series: { measurement: m, field: v }, below: 1, severity: minor }
`,
  });
  h.set('m', 'v', { agent: 'a1', host: 'h1' }, 20);
  h.clock.advance(1000);
  t.same(h.firing('Hot'), [], 'pending first');
  h.clock.advance(2000);
  t.same(h.firing('Hot'), ['agent=a1,host=h1'], 'firing after for');
  h.set('m', 'v', { agent: 'a1', host: 'h1' }, 0);
  h.clock.advance(1000);
  t.same(h.firing(), ['agent=a1,host=h1'], 'Hot resolved, Low firing');
  t.same(new Set(h.changes.map((c) => `${c.rule} ${c.state}`)), new Set(['Hot firing', 'Hot resolved', 'Low firing']));
  await h.manager.stop();
});

t.test('absence: a series not updated for N intervals', async (t) => {
  const h = harness({
    'r.yaml': `rules:\n  - { name: Gone, kind: absence, series: { measurement: plant, field: seq }, missed: 3, every: 100ms, severity: major }\n`,
  });
  const s = h.set('plant', 'seq', { component: 'fh-a' }, 1);
  h.clock.advance(1500); // the group's slot offset is hashed: its last slot saw an age over 500 ms
  t.same(h.firing('Gone'), ['component=fh-a'], 'silent for over 500 ms > 300 ms');
  for (let i = 0; i < 10; i++) {
    s.lastUs = h.clock.nowUs(); // heartbeats every 100 ms again
    h.clock.advance(100);
  }
  t.same(h.firing('Gone'), [], 'updated again: resolved');
  await h.manager.stop();
});

t.test('rate: errors per second over a window, counter resets are not negative', async (t) => {
  const h = harness({
    'r.yaml': `rules:\n  - { name: Errs, kind: rate, series: { measurement: nic, field: rx_errors }, window: 10s, above: 5, severity: warning }\n`,
  });
  const tags = { agent: 'a1', interface: 'eth0' };
  for (const v of [0, 10, 20]) {
    h.set('nic', 'rx_errors', tags, v);
    h.clock.advance(1000);
  }
  t.same(h.firing('Errs'), ['agent=a1,interface=eth0'], '10/s');
  for (const v of [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]) {
    h.set('nic', 'rx_errors', tags, v);
    h.clock.advance(1000);
  }
  t.same(h.firing('Errs'), [], 'flat for a window: 0/s');
  h.set('nic', 'rx_errors', tags, 3); // the interface was re-created: a reset, +3
  h.clock.advance(1000);
  t.same(h.firing('Errs'), [], 'a reset is not a huge negative or positive rate');
  await h.manager.stop();
});

t.test('log-count: N events in a sliding window, evaluated on arrival', async (t) => {
  const h = harness({
    'r.yaml': `rules:\n  - { name: Errs, kind: log-count, event: { kind: log.match, when: ['rule="errors"'] }, by: [agent], window: 10s, at_least: 3, severity: minor }\n`,
  });
  h.event('log.match', { agent: 'a1', rule: 'errors' });
  h.event('log.match', { agent: 'a1', rule: 'other' });
  h.event('log.match', { agent: 'a1', rule: 'errors' });
  t.same(h.firing('Errs'), [], 'two of the right rule');
  h.event('log.match', { agent: 'a1', rule: 'errors' });
  t.same(h.firing('Errs'), ['agent=a1'], 'the third fires at once, without a slot');
  h.clock.advance(11_000);
  t.same(h.firing('Errs'), [], 'out of the window');
  await h.manager.stop();
});

t.test('state-change: fires on the event itself, before any slot; hold; resolve event', async (t) => {
  const h = harness(
    {
      'r.yaml': `rules:
  - { name: Link, kind: state-change, on: { kind: nic.link, when: ['state="down"'] }, resolve: { kind: nic.link, when: ['state="up"'] }, by: [agent, interface], severity: major }
  - { name: Role, kind: state-change, on: { kind: plant.role_change }, hold: 5s, severity: major }
`,
    },
    { schedule: false },
  );
  h.event('nic.link', { agent: 'tp-a', interface: 'eth1' }, { state: 'down' });
  t.same(
    h.changes.map((c) => [c.rule, c.state, c.trigger, c.atMs - h.clock.now()]),
    [['Link', 'firing', 'event', 0]],
    'firing inside publish(), no time passed',
  );
  h.event('nic.link', { agent: 'tp-a', interface: 'eth1' }, { state: 'up' }, 0);
  t.same(h.firing('Link'), [], 'resolved by link up');
  h.event('plant.role_change', { component: 'tp-b' }, { to: 'primary' });
  h.clock.advance(4000);
  h.manager.evaluateAll();
  t.same(h.firing('Role'), ['component=tp-b'], 'held');
  h.clock.advance(1000);
  h.manager.evaluateAll();
  t.same(h.firing('Role'), [], 'resolved after hold');
  await h.manager.stop();
});

t.test('groups evaluate on aligned slots and count missed ones', async (t) => {
  const h = harness({
    'r.yaml': `interval: 1s\nrules:\n  - { name: Hot, kind: threshold, series: { measurement: m, field: v }, above: 1, severity: minor }\n`,
  });
  const g = h.manager.groups[0]!;
  h.clock.advance(5000);
  t.equal(g.evaluations, 5, 'one evaluation per slot');
  t.equal(g.iterationsMissed, 0);
  await h.manager.stop();
});
