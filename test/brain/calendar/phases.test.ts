// phaseAt across London, New York and Tokyo, through DST switches, weekends and a holiday.
import t from 'tap';
import { loadCalendarFile, parseCalendar } from '../../../brain/calendar/load.js';
import { phaseAt } from '../../../brain/calendar/phases.js';
import { ConfigError } from '../../../lib/errors.js';

const { calendar } = loadCalendarFile('rules/calendar/trading-day.yaml');

t.test('phase at an instant, per market', async (t) => {
  const cases: [string, string, string, string][] = [
    // [why, market, UTC instant, phase]
    ['London winter: 07:30 UTC is 07:30 GMT, BOD', 'LDN', '2026-03-27T07:30:00Z', 'bod'],
    ['London after the DST switch (29 Mar): 07:30 UTC is 08:30 BST, intraday', 'LDN', '2026-03-30T07:30:00Z', 'intraday'],
    ['London summer: 15:30 UTC is 16:30 BST, EOD', 'LDN', '2026-07-01T15:30:00Z', 'eod'],
    ['London winter again (25 Oct): 15:30 UTC is 15:30 GMT, intraday', 'LDN', '2026-10-26T15:30:00Z', 'intraday'],
    ['London Sunday 03:00: closed', 'LDN', '2026-11-22T03:00:00Z', 'closed'],
    ['London Monday 08:01: intraday', 'LDN', '2026-11-23T08:01:00Z', 'intraday'],
    ['London Christmas Day, a Friday: a holiday, closed', 'LDN', '2026-12-25T10:00:00Z', 'closed'],
    ['London 19:00 local: closed', 'LDN', '2026-11-23T19:00:00Z', 'closed'],
    ['New York before its DST switch (8 Mar): 13:00 UTC is 08:00 EST, BOD', 'NY', '2026-03-06T13:00:00Z', 'bod'],
    ['New York after it: 13:30 UTC is 09:30 EDT, intraday', 'NY', '2026-03-09T13:30:00Z', 'intraday'],
    ['New York Thanksgiving: closed', 'NY', '2026-11-26T15:00:00Z', 'closed'],
    ['Tokyo (no DST): 00:00 UTC is 09:00 JST, intraday', 'TKY', '2026-07-01T00:00:00Z', 'intraday'],
    ['Tokyo 22:30 UTC Sunday is 07:30 JST Monday, BOD', 'TKY', '2026-11-22T22:30:00Z', 'bod'],
    ['Tokyo New Year holiday: closed', 'TKY', '2027-01-01T01:00:00Z', 'closed'],
  ];
  for (const [why, market, at, phase] of cases) t.equal(phaseAt(calendar, market, new Date(at)), phase, why);
});

t.test('one instant, three markets (follow the sun)', async (t) => {
  const at = Date.parse('2026-11-23T14:45:00Z');
  t.same(
    ['LDN', 'NY', 'TKY'].map((m) => phaseAt(calendar, m, at)),
    ['intraday', 'intraday', 'closed'],
  );
});

t.test('calendar errors are located', async (t) => {
  const cases: [string, string, string, RegExp][] = [
    [
      'markets:\n  X:\n    time_zone: Europe/Lndon\n    bod: "05:00"\n    intraday: "08:00"\n    eod: "16:00"\n    closed: "18:00"\n',
      'x.yaml:3',
      'markets.X.time_zone',
      /unknown IANA time zone/,
    ],
    [
      'markets:\n  X:\n    time_zone: UTC\n    bod: "05:00"\n    intraday: "8am"\n    eod: "16:00"\n    closed: "18:00"\n',
      'x.yaml:5',
      'markets.X.intraday',
      /must match pattern/,
    ],
    [
      'markets:\n  X:\n    time_zone: UTC\n    bod: "09:00"\n    intraday: "08:00"\n    eod: "16:00"\n    closed: "18:00"\n',
      'x.yaml:5',
      'markets.X.intraday',
      /in order/,
    ],
  ];
  for (const [yaml, at, field, problem] of cases) {
    try {
      parseCalendar(yaml, 'x.yaml');
      t.fail('no error');
    } catch (err) {
      t.ok(err instanceof ConfigError);
      const e = err as ConfigError;
      t.equal(`${e.file}:${e.line}`, at, field);
      t.equal(e.field, field);
      t.match(e.message, problem);
    }
  }
});
