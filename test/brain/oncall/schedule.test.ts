import t from 'tap';
import { join } from 'node:path';
import { loadSchedule, parseSchedule } from '../../../brain/oncall/schedule-config.js';
import { whoIsOnCall, type Tier } from '../../../brain/oncall/schedule.js';
import { ConfigError } from '../../../lib/errors.js';

const schedule = loadSchedule(join(import.meta.dirname, 'follow-the-sun.yaml'));
const who = (tier: Tier, iso: string) => whoIsOnCall(schedule, tier, Date.parse(iso)).map((o) => o.person.id);

// London 07-16 Europe/London (alice/bob weekly), New York 07-16 America/New_York (nina),
// Singapore 19-07 Asia/Singapore overnight (sam), all Mon-Fri by their own calendars.
t.test('follow-the-sun across three zones: the right people at given instants', async (t) => {
  t.same(who('first-line', '2026-03-02T07:30:00Z'), ['alice'], 'Mon 07:30 GMT: London only, alice has week one');
  t.same(who('first-line', '2026-03-02T11:30:00Z'), ['alice', 'sam'], '19:30 SGT: Singapore starts its night');
  t.same(who('first-line', '2026-03-02T12:30:00Z'), ['alice', 'nina', 'sam'], '07:30 EST: New York joins');
  t.same(who('first-line', '2026-03-02T17:00:00Z'), ['nina', 'sam'], 'London has gone home');
  t.same(who('first-line', '2026-03-02T22:00:00Z'), ['sam'], "06:00 SGT Tuesday is still Monday's night shift");
  t.same(who('first-line', '2026-03-02T23:30:00Z'), [], '07:30 SGT: nobody; the rota has a gap here');
  t.same(who('first-line', '2026-03-06T20:00:00Z'), ['nina', 'sam'], "Saturday 04:00 SGT belongs to Friday's shift");
  t.same(who('first-line', '2026-03-07T12:00:00Z'), [], 'Saturday: nobody on first line');
  t.same(who('back-line', '2026-03-07T12:00:00Z'), ['dev'], 'back line all week');
  t.same(who('support-manager', '2026-03-07T03:00:00Z'), ['mgr'], 'the manager always');
});

t.test('the weekly hand-off moves on Mondays, and an override stands in for one person', async (t) => {
  t.same(who('first-line', '2026-03-09T08:00:00Z'), ['bob'], 'week two: bob');
  t.same(who('first-line', '2026-03-16T08:00:00Z'), ['alice'], 'week three: alice again');
  t.same(who('first-line', '2026-03-18T08:00:00Z'), ['carol'], 'Wednesday: carol covers alice');
  t.same(whoIsOnCall(schedule, 'first-line', Date.parse('2026-03-18T08:00:00Z'))[0]?.via, 'override');
  t.same(who('first-line', '2026-03-19T08:00:00Z'), ['alice'], 'the override ended at midnight UTC');
});

t.test('DST: New York moves on 8 March, London on 29 March, each shift follows its own wall clock', async (t) => {
  t.same(who('first-line', '2026-03-06T11:30:00Z'), ['alice', 'sam'], 'Fri before US DST: 06:30 EST, New York not yet on');
  t.same(who('first-line', '2026-03-09T11:30:00Z'), ['bob', 'nina', 'sam'], 'Mon after US DST: the same UTC time is 07:30 EDT');
  t.same(who('first-line', '2026-03-06T20:30:00Z'), ['nina', 'sam'], '15:30 EST: New York still on');
  t.same(who('first-line', '2026-03-09T20:30:00Z'), ['sam'], '16:30 EDT: New York has gone home');
  t.same(who('first-line', '2026-03-27T06:30:00Z'), [], 'Fri before UK DST: 06:30 GMT, London not yet on');
  t.same(who('first-line', '2026-03-30T06:30:00Z'), ['alice'], 'Mon after UK DST: 07:30 BST');
  t.same(who('first-line', '2026-03-27T15:30:00Z'), ['bob', 'nina', 'sam'], '15:30 GMT: London still on');
  t.same(who('first-line', '2026-03-30T15:30:00Z'), ['nina', 'sam'], '16:30 BST: London has gone home');
});

t.test('whole-tier overrides replace the rota for their window', async (t) => {
  const text = `people: { a: { name: A }, b: { name: B } }
rotations: [{ name: r, tier: back-line, timeZone: UTC, start: "00:00", end: "24:00", people: [a] }]
overrides: [{ tier: back-line, person: b, start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00+01:00" }]
`;
  const s = parseSchedule(text, 'inline.yaml');
  t.same(
    whoIsOnCall(s, 'back-line', Date.parse('2026-01-01T12:00:00Z')).map((o) => o.person.id),
    ['b'],
  );
  t.same(
    whoIsOnCall(s, 'back-line', Date.parse('2026-01-01T23:30:00Z')).map((o) => o.person.id),
    ['a'],
    'end honours its offset',
  );
});

const bad = (name: string, text: string, line: number, field: RegExp, problem: RegExp) =>
  t.test(`a bad schedule names file, line and field: ${name}`, async (t) => {
    const err = t.throws(() => parseSchedule(text, 'oncall.yaml')) as ConfigError;
    t.type(err, ConfigError);
    t.equal(err.code, 'FW_ERR_CONFIG_INVALID');
    t.equal(err.line, line, err.message);
    t.match(err.field, field);
    t.match(err.message, problem);
    t.match(err.message, /^configuration is invalid: oncall\.yaml:\d+: /);
  });

const base = (rotation: string, extra = '') => `people:
  alice: { name: Alice }
rotations:
  - name: london
    tier: first-line
${rotation}
${extra}`;
bad(
  'unknown person',
  base('    timeZone: Europe/London\n    start: "07:00"\n    end: "16:00"\n    people: [alice, zed]'),
  9,
  /^rotations\.0\.people\.1$/,
  /unknown person "zed"/,
);
bad(
  'unknown time zone',
  base('    timeZone: Europe/Londn\n    start: "07:00"\n    end: "16:00"\n    people: [alice]'),
  6,
  /^rotations\.0\.timeZone$/,
  /unknown time zone/,
);
bad(
  'time of day out of range',
  base('    timeZone: UTC\n    start: "25:00"\n    end: "16:00"\n    people: [alice]'),
  7,
  /^rotations\.0\.start$/,
  /not a time of day/,
);
bad(
  'unknown tier',
  base('    timeZone: UTC\n    start: "07:00"\n    end: "16:00"\n    people: [alice]').replace('first-line', 'third-line'),
  5,
  /^rotations\.0\.tier$/,
  /must be one of/,
);
bad(
  'override ending before it starts',
  base(
    '    timeZone: UTC\n    start: "07:00"\n    end: "16:00"\n    people: [alice]',
    'overrides:\n  - tier: first-line\n    person: alice\n    start: 2026-01-02T00:00:00Z\n    end: 2026-01-01T00:00:00Z\n',
  ),
  14,
  /^overrides\.0\.end$/,
  /must be after start/,
);
