import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../../agent/config.js';
import { loadBrainConfig, parseBrainConfig } from '../../brain/config.js';
import { configError } from '../helpers/config-error.js';
import { floorwatch, scratchDir } from '../helpers/floorwatch.js';

t.test('config errors name the file, the line and the field', async (t) => {
  const cases: [string, string, number, string, RegExp][] = [
    // [what, yaml, line, field, problem]
    [
      'a value out of range',
      'listen: 127.0.0.1:7070\nlimits:\n  max_message_bytes: 12\n',
      3,
      'limits.max_message_bytes',
      /must be >= 1024/,
    ],
    ['an unknown field', 'store:\n  kind: none\n  dbb: x\n', 3, 'store.dbb', /unknown field/],
    ['a bad enum value', 'store:\n  kind: influx-v9\n', 2, 'store.kind', /must be one of/],
    ['a missing required field', 'tls:\n  cert: a.pem\n', 2, 'tls.key', /is required/],
    ['a YAML syntax error', 'store:\n  kind: [none\n', 3, '', /./],
    ['a duplicate key', 'listen: a:1\nlisten: b:2\n', 2, '', /unique/i],
  ];
  for (const [what, yaml, line, field, problem] of cases) {
    const err = configError(() => parseBrainConfig(yaml, 'brain.yaml'));
    t.equal(err.code, 'FW_ERR_CONFIG_INVALID', `${what}: code`);
    t.equal(err.file, 'brain.yaml', `${what}: file`);
    t.equal(err.line, line, `${what}: line`);
    t.equal(err.field, field, `${what}: field`);
    t.match(err.message, problem, `${what}: problem`);
  }
});

t.test('a sampler section error is located inside the agent file', async (t) => {
  const err = configError(() => parseAgentConfig('agent:\n  id: ws-1\nsamplers:\n  memory:\n    interval_ms: -5\n', 'agent.yaml'));
  t.equal(err.line, 5);
  t.equal(err.field, 'samplers.memory.interval_ms');
});

t.test('a log rule the schema accepts but that cannot run is refused at load with its line and field', async (t) => {
  const head = 'samplers:\n  log:\n    files: ["/tmp/app.log"]\n    rules:\n      - {name: ok, action: count, pattern: "x"}\n';
  const cases: [string, string, number, string, RegExp][] = [
    [
      'lookaround RE2 refuses',
      '      - {name: look, action: count, pattern: "(?<=a)b"}\n',
      6,
      'samplers.log.rules.1.pattern',
      /rule "look": RE2 refuses/,
    ],
    [
      'a metric without a capture',
      '      - {name: lat, action: metric, pattern: "latency=\\\\d+"}\n',
      6,
      'samplers.log.rules.1.pattern',
      /needs a named capture/,
    ],
    ['a duplicate name', '      - {name: ok, action: count, pattern: "y"}\n', 6, 'samplers.log.rules.1.name', /duplicate rule name/],
    [
      'a missing response',
      '      - name: rt\n        action: roundtrip\n        request: "(?P<id>\\\\d+)"\n',
      6,
      'samplers.log.rules.1.response',
      /is required for action roundtrip/,
    ],
  ];
  for (const [what, rule, line, field, problem] of cases) {
    const err = configError(() => parseAgentConfig(head + rule, 'agent.yaml'));
    t.equal(err.line, line, `${what}: line`);
    t.equal(err.field, field, `${what}: field`);
    t.match(err.message, problem, `${what}: problem`);
  }
});

t.test('defaults are filled in for an empty file', async (t) => {
  const c = parseBrainConfig('');
  t.equal(c.listen, '127.0.0.1:7070');
  t.equal(c.store.kind, 'none');
  t.equal(c.limits.max_streams_per_connection, 4);
});

t.test('floorwatch brain --config with an error exits 2 and prints file:line: field', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'listen: 127.0.0.1:7070\nlimits:\n  max_message_bytes: 12\n');
  t.throws(() => loadBrainConfig(file));
  const p = floorwatch(['brain', '--config', file]);
  const { code } = await p.exited;
  t.equal(code, 2);
  t.match(p.stderr.join('\n'), `${file}:3: limits.max_message_bytes: must be >= 1024`);
});
