// `floorwatch check`: every shipped example and packaged file passes; a broken file of each kind
// is refused naming file, line and field; rule unit tests run; exit codes 0 / 1 / 2.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { detectKind } from '../../cli/check/detect.js';

const ROOT = resolve(import.meta.dirname, '../..');

function check(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/floorwatch.ts'), 'check', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), `fw-check-${process.pid}-`));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('every example and packaged file passes', async (t) => {
  const r = check('docs/examples', 'rules');
  t.equal(r.code, 0, `exit 0; stderr:\n${r.stderr}`);
  t.notMatch(r.stderr, /FAIL/, 'no failures');
  for (const [file, kind] of [
    ['docs/examples/agent.yaml', 'agent'],
    ['docs/examples/brain.yaml', 'brain'],
    ['docs/examples/topology.yaml', 'topology'],
    ['docs/examples/oncall.yaml', 'oncall'],
    ['docs/examples/plant.yaml', 'plant'],
    ['rules/host.yaml', 'rules'],
    ['rules/host.test.yaml', 'rule-test'],
    ['rules/calendar/trading-day.yaml', 'calendar'],
  ]) {
    t.match(r.stdout, new RegExp(`^OK +${file!.replace(/\./g, '\\.')} \\(${kind}\\)`, 'm'), `${file} recognised as ${kind} and valid`);
  }
  t.match(r.stdout, /rules\/host\.test\.yaml \(rule-test\): \d+ checks in \d+ tests, all pass/, 'rule unit tests ran');
  // The examples name /etc/floorwatch/tls/...: a warning by default, a failure with --strict.
  t.match(r.stderr, /^WARN +docs\/examples\/agent\.yaml:\d+: brain\.tls\.ca: \/etc\/floorwatch\/tls\/floor-ca\.pem does not exist/m);
});

const broken: [string, string, RegExp][] = [
  ['agent.yaml', 'agent:\n  id: ws-1\ninterval_ms: 10\n', /agent\.yaml:3: interval_ms: must be >= 50/],
  ['brain.yaml', 'brain:\n  id: b1\nstore:\n  kind: influx-v9\n', /brain\.yaml:4: store\.kind: must be one of/],
  ['host-rules.yaml', 'rules:\n  - name: A\n    kind: threshold\n    bogus: 1\n', /host-rules\.yaml:\d+: rules\.0\.\S+: /],
  [
    'calendar.yaml',
    'markets:\n  LDN: {time_zone: Mars/Olympus, bod: "06:00", intraday: "08:00", eod: "16:30", closed: "17:00"}\n',
    /calendar\.yaml:2: markets\.LDN\.time_zone: unknown IANA time zone/,
  ],
  [
    'topology.yaml',
    'hosts:\n  h1: {}\ncomponents:\n  p:\n    kind: provider\n    host: h2\n',
    /topology\.yaml:6: components\.p\.host: unknown host "h2"/,
  ],
  [
    'oncall.yaml',
    'people:\n  a: {name: A}\nrotations:\n  - {name: r, tier: first-line, timeZone: UTC, start: "07:00", end: "16:00", people: [zed]}\n',
    /oncall\.yaml:4: rotations\.0\.people\.0: unknown person "zed"/,
  ],
  ['plant.yaml', 'name: p\nprovider:\n  rate: -5\n', /plant\.yaml:3: provider\.rate: must be >= 0/],
  ['syntax.yaml', 'agent:\n  id: [\n', /syntax\.yaml:\d+: \(top level\): /],
];

t.test('a broken file of each kind is refused with file, line and field', async (t) => {
  for (const [name, text] of broken) writeFileSync(join(dir, name), text);
  const r = check(...broken.map(([name]) => join(dir, name)));
  t.equal(r.code, 1, 'exit 1: invalid');
  t.equal(r.stdout, '', 'nothing reported OK');
  for (const [name, , expected] of broken) t.match(r.stderr, expected, `${name}: ${expected}`);
});

t.test('a failing rule unit test fails the check and names the test', async (t) => {
  mkdirSync(join(dir, 'rules'));
  copyFileSync(join(ROOT, 'rules/agents.yaml'), join(dir, 'rules/agents.yaml'));
  writeFileSync(
    join(dir, 'rules/agents.test.yaml'),
    'rule_files: [agents.yaml]\ntests:\n  - name: wrongly expects a page\n    alert_rule_test:\n      - eval_time: 5s\n        alertname: AgentSilent\n        exp_alerts: [{labels: {agent: ws-9}}]\n',
  );
  const r = check(join(dir, 'rules'));
  t.equal(r.code, 1);
  t.match(r.stdout, /rules\/agents\.yaml \(rules\): 2 rules/, 'the rule file itself is valid');
  t.match(
    r.stderr,
    /agents\.test\.yaml:3: tests\.wrongly expects a page: AgentSilent at 5s: expected firing, not firing: \{.*agent="ws-9"/,
  );
});

t.test('--strict fails on a file the configuration names that is missing', async (t) => {
  const brain = join(dir, 'brain-strict.yaml');
  writeFileSync(brain, `brain: {id: b1}\ntopology: ${join(dir, 'nowhere.yaml')}\n`);
  t.equal(check(brain).code, 0, 'a warning without --strict');
  const r = check('--strict', brain);
  t.equal(r.code, 1);
  t.match(r.stderr, /brain-strict\.yaml:2: topology: .*nowhere\.yaml does not exist/);
});

t.test('usage problems exit 2', async (t) => {
  t.equal(check().code, 2, 'no files');
  t.match(check('--kind', 'nonsense', 'docs/examples/agent.yaml').stderr, /unknown kind nonsense/);
  t.equal(check(join(dir, 'missing.yaml')).code, 2, 'no such file');
  writeFileSync(join(dir, 'empty.yaml'), '{}\n');
  const r = check(join(dir, 'empty.yaml'));
  t.equal(r.code, 2);
  t.match(r.stderr, /cannot tell its kind \(.*agent.*brain.*\): give --kind/);
  t.equal(check('--kind', 'agent', join(dir, 'empty.yaml')).code, 0, '--kind settles it');
});

t.test('kind detection: keys first, then the name, then which kind accepts it', async (t) => {
  t.equal(kindOf('x.yaml', 'rule_files: [a.yaml]\ntests: []\n'), 'rule-test');
  t.equal(kindOf('x.yaml', 'people: {}\nrotations: []\n'), 'oncall');
  t.equal(kindOf('floor-agent.yaml', 'brain: {addresses: ["b:1"]}\n'), 'agent', 'agent and brain share brain:, the name decides');
  t.equal(kindOf('x.yaml', 'brain: {addresses: ["b:1"]}\n'), 'agent', 'only the agent schema accepts brain.addresses');
  t.equal(kindOf('x.yaml', 'agent: {id: a}\nsampelrs: {}\n'), 'agent', 'a typo: checked as the closest kind, to report the unknown key');
});

function kindOf(file: string, text: string): string {
  const d = detectKind(file, text);
  return 'kind' in d ? d.kind.name : `ambiguous: ${d.ambiguous.join(', ')}`;
}
