// Silences, maintenance windows and phase policies mute pages, and say why.
import t from 'tap';
import { loadCalendarFile, parseCalendar } from '../../../brain/calendar/load.js';
import { firstMute } from '../../../brain/calendar/muter.js';
import { silence } from '../../../brain/calendar/silences.js';
import { harness } from '../rules/harness.js';

const loaded = loadCalendarFile('rules/calendar/trading-day.yaml');

t.test('a silence mutes matching alerts until its expiry, with author and reason', async (t) => {
  const { silences } = parseCalendar(
    'markets:\n  L: { time_zone: Europe/London, bod: "05:00", intraday: "08:00", eod: "16:00", closed: "18:00" }\n',
    'c.yaml',
  );
  const start = Date.UTC(2026, 10, 23, 9, 0);
  silences.add(
    silence({
      id: 's1',
      match: ['host=~"tp-.*"', 'alertname="NicLinkDown"'],
      author: 'jo',
      reason: 'swapping the NIC',
      startsAt: start,
      endsAt: start + 3_600_000,
    }),
  );
  const labels = { alertname: 'NicLinkDown', host: 'tp-a' };
  t.same(silences.mutes(labels, new Date(start + 60_000)), {
    kind: 'silence',
    id: 's1',
    author: 'jo',
    reason: 'swapping the NIC',
    until: start + 3_600_000,
  });
  t.equal(silences.mutes({ ...labels, host: 'fh-a' }, new Date(start + 60_000)), undefined, 'other hosts page');
  t.equal(silences.mutes(labels, new Date(start + 3_600_000)), undefined, 'expired');
  t.equal(silences.list().length, 0, 'and dropped');
});

t.test('maintenance windows: weekly in market time, and one-off', async (t) => {
  const { maintenance } = parseCalendar(
    `markets:
  L: { time_zone: Europe/London, bod: "05:00", intraday: "08:00", eod: "16:00", closed: "18:00" }
maintenance:
  - { name: sat, match: ['host=~"tp-.*"'], author: ops, reason: patching, days: [sat], from: "06:00", to: "18:00" }
  - { name: night, match: ['host="db"'], author: ops, reason: backups, days: [mon], from: "23:00", to: "02:00" }
  - { name: swap, match: ['host="fh-a"'], author: jo, reason: NIC swap, starts: "2026-11-24T20:00:00Z", ends: "2026-11-24T21:00:00Z" }
`,
    'c.yaml',
  );
  const cases: [string, Record<string, string>, string, string | undefined][] = [
    ['Saturday 07:00 BST in summer (06:00 UTC)', { host: 'tp-a' }, '2026-07-04T06:00:00Z', 'sat'],
    ['Saturday 05:30 UTC in summer is 06:30 BST: inside', { host: 'tp-a' }, '2026-07-04T05:30:00Z', 'sat'],
    ['Saturday 04:30 UTC in summer is 05:30 BST: before', { host: 'tp-a' }, '2026-07-04T04:30:00Z', undefined],
    ['Friday: no window', { host: 'tp-a' }, '2026-07-03T10:00:00Z', undefined],
    ['across midnight, Monday 23:30', { host: 'db' }, '2026-11-23T23:30:00Z', 'night'],
    ['across midnight, Tuesday 01:30', { host: 'db' }, '2026-11-24T01:30:00Z', 'night'],
    ['one-off, inside', { host: 'fh-a' }, '2026-11-24T20:30:00Z', 'swap'],
    ['one-off, after', { host: 'fh-a' }, '2026-11-24T21:00:00Z', undefined],
  ];
  for (const [why, labels, at, want] of cases) t.equal(maintenance.mutes(labels, new Date(at))?.id, want, why);
  t.equal(maintenance.mutes({ host: 'fh-a' }, new Date('2026-11-24T20:30:00Z'))?.reason, 'NIC swap');
});

t.test('the phase policy: closed hours page only critical alerts', async (t) => {
  const sunday = new Date('2026-11-22T03:00:00Z');
  const monday = new Date('2026-11-23T08:01:00Z');
  t.equal(firstMute(loaded.muters, { alertname: 'FeedDown', severity: 'major' }, sunday)?.kind, 'phase');
  t.equal(firstMute(loaded.muters, { alertname: 'FeedDown', severity: 'critical' }, sunday), undefined);
  t.equal(firstMute(loaded.muters, { alertname: 'FeedDown', severity: 'major' }, monday), undefined);
});

t.test('a muted alert is still raised, with the reason recorded on the change', async (t) => {
  const saturday = Date.UTC(2026, 10, 28, 10, 0);
  const h = harness(
    { 'r.yaml': `rules:\n  - { name: LinkDown, kind: state-change, on: { kind: nic.link }, by: [host], severity: critical }\n` },
    { start: saturday, calendar: loaded, schedule: false },
  );
  h.event('nic.link', { host: 'tp-a' });
  h.event('nic.link', { host: 'ws-1' });
  t.same(
    h.changes.map((c) => [c.labels['host'], c.muted?.kind, c.muted?.reason]),
    [
      ['tp-a', 'maintenance', 'weekly OS patching of plant hosts'],
      ['ws-1', undefined, undefined],
    ],
  );
  await h.manager.stop();
});
