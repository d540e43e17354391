// Loading, validation with file:line:field, and hot reload: a broken edit keeps the last good
// set running and says why; unchanged rules keep their alert state.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../lib/clock.js';
import { parseRuleFile } from '../../../brain/rules/rule-file.js';
import { RuleManager, type ReloadResult } from '../../../brain/rules/manager.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { SeriesTable } from '../../../brain/state/series-table.js';
import { configError } from '../../helpers/config-error.js';
import { waitFor } from '../../helpers/wait.js';
import { harness } from './harness.js';

t.test('rule file errors name the file, the line and the field', async (t) => {
  const head = 'rules:\n  - name: A\n    kind: threshold\n    severity: minor\n    series: { measurement: m, field: v }\n';
  const cases: [string, string, number, string, RegExp][] = [
    // [what, yaml, line, field, problem]
    ['an unknown kind', 'rules:\n  - name: A\n    kind: thresold\n    severity: minor\n', 3, 'rules.0.kind', /must be one of/],
    ['a bad duration', head + '    above: 1\n    for: 5 minutes\n', 7, 'rules.0.for', /must match pattern/],
    ['a field of another kind', head + '    above: 1\n    hold: 5s\n', 7, 'rules.0.hold', /does not apply to kind threshold/],
    ['neither above nor below', head, 2, 'rules.0.above', /exactly one of above or below/],
    ['a clear level on the wrong side', head + '    above: 5\n    clear: 9\n', 7, 'rules.0.clear', /must be <= above/],
    ['a regex RE2 refuses', head + '    above: 1\n    match: [\'host="a"\', \'host=~"(a)\\\\1"\']\n', 7, 'rules.0.match.1', /RE2 refuses/],
    ['a matcher that is not one', head + "    above: 1\n    match: ['host: a']\n", 7, 'rules.0.match.0', /not a label matcher/],
    [
      'a missing kind field',
      'rules:\n  - name: A\n    kind: absence\n    severity: minor\n    series: { measurement: m, field: v }\n',
      2,
      'rules.0.stale_after',
      /is required/,
    ],
    [
      'a duplicate rule name',
      head + '    above: 1\n  - { name: A, kind: threshold, severity: minor, series: { measurement: m, field: v }, above: 2 }\n',
      7,
      'rules.1.name',
      /duplicate/,
    ],
  ];
  for (const [what, yaml, line, field, problem] of cases) {
    const err = configError(() => parseRuleFile(yaml, 'rules/x.yaml'));
    t.equal(err.code, 'FW_ERR_CONFIG_INVALID', `${what}: code`);
    t.equal(`${err.file}:${err.line}:${err.field}`, `rules/x.yaml:${line}:${field}`, `${what}: located`);
    t.match(err.message, problem, `${what}: problem`);
  }
});

t.test('every default rule file loads', async (t) => {
  const h = harness({}, { schedule: false });
  const m = new RuleManager({
    dir: 'rules',
    clock: h.clock,
    series: h.series,
    events: h.events,
    onAlert: () => {},
    watch: false,
    schedule: false,
  });
  m.start();
  t.same(m.groups.map((g) => g.name).sort(), ['agents', 'brain', 'fix', 'host', 'plant']);
  await m.stop();
  await h.manager.stop();
});

t.test('a reload keeps unchanged groups, carries alert state, and refuses a broken edit', async (t) => {
  const rule = (above: number) =>
    `rules:\n  - { name: Hot, kind: threshold, series: { measurement: m, field: v }, above: ${above}, severity: minor }\n`;
  const h = harness(
    {
      'a.yaml': rule(1),
      'b.yaml': `rules:\n  - { name: Other, kind: threshold, series: { measurement: m, field: v }, above: 100, severity: minor }\n`,
    },
    { schedule: false },
  );
  h.set('m', 'v', { agent: 'a1' }, 5);
  h.manager.evaluateAll();
  const firedAt = [...h.manager.alerts()][0]!.alert.firedAt;
  const groupB = h.manager.groups.find((g) => g.name === 'b');

  writeFileSync(join(h.dir, 'a.yaml'), rule(2));
  const ok = h.manager.reload();
  t.ok(ok.ok && ok.changedFiles.length === 1, 'one file changed');
  t.equal(
    h.manager.groups.find((g) => g.name === 'b'),
    groupB,
    'the unchanged group is the same object',
  );
  t.equal([...h.manager.alerts()][0]!.alert.firedAt, firedAt, 'the changed group took over the alert state');

  writeFileSync(join(h.dir, 'a.yaml'), rule(2).replace('severity: minor', 'severity: minor, bogus: 1'));
  const bad = h.manager.reload();
  t.notOk(bad.ok, 'refused');
  t.match(bad.ok ? '' : bad.message, /a\.yaml:2: rules\.0\.bogus: unknown field; previous rule set restored/);
  t.same(h.firing('Hot'), ['agent=a1'], 'the last good set still holds its alert');
  t.equal(h.events.recent({ kind: 'rules.reload_failed' }).length, 1, 'the refusal is an event');
  await h.manager.stop();
});

t.test('a rule file edited on disk is hot-reloaded; a broken edit keeps the last good set', async (t) => {
  // Real clock and real file-system events: waits on conditions with deadlines.
  const h = harness(
    { 'live.yaml': 'rules:\n  - { name: One, kind: threshold, series: { measurement: m, field: v }, above: 1, severity: minor }\n' },
    { schedule: false },
  );
  await h.manager.stop();
  const results: ReloadResult[] = [];
  const m = new RuleManager({
    dir: h.dir,
    clock: systemClock,
    series: new SeriesTable(10),
    events: new EventLog({ clock: systemClock }),
    onAlert: () => {},
    onReload: (r) => results.push(r),
    schedule: false,
  });
  m.start();
  t.teardown(() => m.stop());
  await m.watching();
  writeFileSync(
    join(h.dir, 'live.yaml'),
    'rules:\n  - { name: Two, kind: threshold, series: { measurement: m, field: v }, above: 1, severity: minor }\n',
  );
  await waitFor('the edit to be loaded', () => m.groups[0]?.rules[0]?.name === 'Two', { timeoutMs: 10_000 });
  writeFileSync(join(h.dir, 'live.yaml'), 'rules:\n  - { name: Three, kind: threshold, severity: minor\n');
  const refusal = await waitFor('the broken edit to be refused', () => results.find((r) => !r.ok), { timeoutMs: 10_000 });
  t.match(refusal.ok ? '' : refusal.message, /live\.yaml:\d+: .*previous rule set restored/);
  t.equal(m.groups[0]?.rules[0]?.name, 'Two', 'the last good set keeps running');
  t.ok(m.lastReloadError, 'and the manager says why');
});

t.test(
  'a state-change alert restored after a restart fires again at once, and its resolve event, even the very next one, resolves it',
  async (t) => {
    const h = harness(
      {
        'p.yaml':
          'rules:\n  - { name: Exited, kind: state-change, on: { kind: process.exit }, resolve: { kind: process.start }, hold: 30s, by: [agent, process], severity: major, labels: { team: plant } }\n',
      },
      { schedule: false },
    );
    t.teardown(() => h.manager.stop());
    const restored = h.manager.restoreFiring([
      {
        alertname: 'Exited',
        labels: { alertname: 'Exited', agent: 'a1', process: 'fh-a', team: 'plant' },
        firedAt: h.clock.now() - 60_000,
      },
      { alertname: 'Exited', labels: { alertname: 'Exited', agent: 'a1', process: 'fh-b', team: 'desk' }, firedAt: h.clock.now() - 60_000 },
      { alertname: 'Gone', labels: { alertname: 'Gone', agent: 'a1' }, firedAt: h.clock.now() },
    ]);
    t.equal(restored, 1, "only the alert of this rule with this rule's labels");
    t.same(
      h.firing('Exited'),
      ['agent=a1,process=fh-a,team=plant'],
      'fires again at once (same labels, so the same alert key) though its hold has passed: no start yet',
    );
    h.event('process.start', { agent: 'a1', process: 'fh-a' });
    t.same(h.firing('Exited'), [], 'the replayed start resolves it');
    t.same(
      h.changes.map((c) => c.state),
      ['firing', 'resolved'],
    );
  },
);

t.test('a state-change fault that recurs while its alert is held is announced again (a second fail-over inside the hold)', async (t) => {
  const h = harness(
    {
      'p.yaml':
        'rules:\n  - { name: Failover, kind: state-change, on: { kind: plant.role_change }, hold: 10m, by: [component], severity: major }\n',
    },
    { schedule: false },
  );
  t.teardown(() => h.manager.stop());
  h.event('plant.role_change', { component: 'fh-b' });
  h.clock.advance(60_000);
  h.manager.evaluateAll();
  t.same(
    h.changes.map((c) => c.state),
    ['firing'],
    'held, not announced again by evaluation alone',
  );
  h.event('plant.role_change', { component: 'fh-b' });
  t.same(
    h.changes.map((c) => `${c.state} ${c.labels['component']}`),
    ['firing fh-b', 'firing fh-b'],
    'the second take-over is announced',
  );
  h.manager.evaluateAll();
  t.equal(h.changes.length, 2, 'once');
  t.same(h.firing('Failover'), ['component=fh-b']);
});
