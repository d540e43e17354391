// Scoping: label matchers (=, !=, =~ on RE2, !~) on hosts and components, and trading-day
// phases with phase-dependent severity.
import t from 'tap';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { harness } from './harness.js';

const calendar = loadCalendarFile('rules/calendar/trading-day.yaml');

t.test('label matchers choose hosts and components', async (t) => {
  const cases: [string, string, string[]][] = [
    // [matcher, what it is, firing hosts]
    ['host="tp-a"', 'equality', ['tp-a']],
    ['host!="tp-a"', 'inequality', ['fh-a', 'tp-b', 'ws-1']],
    ['host=~"tp-.*"', 'RE2 regex, anchored', ['tp-a', 'tp-b']],
    ['host!~"tp-.*|ws-.*"', 'negated regex', ['fh-a']],
    ['host=~"tp"', 'anchored: a prefix alone does not match', []],
  ];
  for (const [matcher, what, want] of cases) {
    const h = harness(
      {
        'r.yaml': `rules:\n  - { name: Hot, kind: threshold, series: { measurement: m, field: v }, above: 1, match: ['${matcher}'], severity: minor }\n`,
      },
      { schedule: false },
    );
    for (const host of ['tp-a', 'tp-b', 'fh-a', 'ws-1']) h.set('m', 'v', { agent: host, host }, 5);
    h.manager.evaluateAll();
    t.same(
      h.firing('Hot').map((l) => /host=([^,]+)/.exec(l)?.[1]),
      want,
      `${what}: ${matcher}`,
    );
    await h.manager.stop();
  }
});

t.test('an event outside a rule’s matchers is not even observed', async (t) => {
  const h = harness(
    {
      'r.yaml': `rules:\n  - { name: Down, kind: state-change, on: { kind: nic.link }, match: ['interface=~"eth[0-9]+"'], severity: major }\n`,
    },
    { schedule: false },
  );
  h.event('nic.link', { agent: 'a', interface: 'docker0' });
  h.event('nic.link', { agent: 'a', interface: 'eth1' });
  t.same(h.firing('Down'), ['agent=a,interface=eth1']);
  await h.manager.stop();
});

t.test('phases: a rule runs only in its phases, severity follows the phase', async (t) => {
  const rules = `market: LDN
rules:
  - name: FeedDown
    kind: threshold
    series: { measurement: m, field: up }
    below: 1
    severity: critical
    severity_by_phase: { bod: minor, closed: warning }
  - name: IntradayOnly
    kind: threshold
    series: { measurement: m, field: up }
    below: 1
    phases: [intraday]
    severity: major
`;
  const cases: [string, number, string, string[]][] = [
    // [when, instant, FeedDown severity, rules firing]
    ['Sunday 03:00 London', Date.UTC(2026, 10, 22, 3, 0), 'warning', ['FeedDown']],
    ['Monday 07:00 London (BOD)', Date.UTC(2026, 10, 23, 7, 0), 'minor', ['FeedDown']],
    ['Monday 08:01 London (intraday)', Date.UTC(2026, 10, 23, 8, 1), 'critical', ['FeedDown', 'IntradayOnly']],
  ];
  for (const [when, start, severity, firing] of cases) {
    const h = harness({ 'r.yaml': rules }, { start, calendar, schedule: false });
    h.set('m', 'up', { agent: 'fh-a', host: 'fh-a' }, 0);
    h.manager.evaluateAll();
    t.same([...new Set(h.changes.map((c) => c.rule))].sort(), firing, `${when}: rules firing`);
    t.equal(h.changes.find((c) => c.rule === 'FeedDown')?.severity, severity, `${when}: severity`);
    t.equal(
      h.changes.find((c) => c.rule === 'FeedDown')?.muted?.kind,
      severity === 'critical' ? undefined : when.startsWith('Sunday') ? 'phase' : undefined,
      `${when}: phase policy mutes the page when closed`,
    );
    await h.manager.stop();
  }
});

t.test('leaving a rule’s phases resolves what it raised', async (t) => {
  const h = harness(
    {
      'r.yaml': `rules:\n  - { name: Stale, kind: threshold, series: { measurement: m, field: v }, above: 0, phases: [intraday], severity: major }\n`,
    },
    { start: Date.UTC(2026, 10, 23, 16, 29), calendar, schedule: false },
  );
  h.set('m', 'v', { agent: 'a' }, 5);
  h.manager.evaluateAll();
  t.same(h.firing('Stale'), ['agent=a'], '16:29 London: intraday');
  h.clock.advance(60_000);
  h.manager.evaluateAll();
  t.same(h.firing('Stale'), [], '16:30: EOD, resolved');
  t.equal(h.changes.at(-1)?.phase, 'eod');
  await h.manager.stop();
});
