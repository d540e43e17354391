import t from 'tap';
import { encodeMessage, parseMessage, type LocalMessage } from '../../../agent/local/protocol.js';

t.test('a valid event and a valid sample round-trip through encode and parse', async (t) => {
  const messages: LocalMessage[] = [
    {
      v: 1,
      type: 'event',
      kind: 'process.exit',
      time_us: 1_700_000_000_000_000,
      tags: { process: 'fh-a' },
      attrs: { reason: 'exit code 3' },
      values: { exit_code: 3 },
      severity: 2,
    },
    { v: 1, type: 'sample', measurement: 'process', tags: { process: 'fh-a' }, fields: { cpu_percent: 1.5 }, counters: { orders: 7 } },
  ];
  for (const m of messages) {
    const line = encodeMessage(m);
    t.ok(line.endsWith('\n'));
    t.same(parseMessage(line.trimEnd()), { ok: true, message: m });
  }
});

t.test('malformed messages are refused with a reason, never thrown', async (t) => {
  const bad = [
    'not json',
    '[]',
    '{"v":2,"type":"event","kind":"a"}',
    '{"v":1,"type":"other"}',
    '{"v":1,"type":"event","kind":"Bad Kind"}',
    '{"v":1,"type":"event","kind":"a","severity":5}',
    '{"v":1,"type":"event","kind":"a","time_us":-1}',
    '{"v":1,"type":"event","kind":"a","tags":{"k":1}}',
    '{"v":1,"type":"event","kind":"a","values":{"k":"1"}}',
    '{"v":1,"type":"event","kind":"a","attrs":{"bad key":"x"}}',
    '{"v":1,"type":"sample","measurement":"m"}',
    '{"v":1,"type":"sample","measurement":"m","fields":{"f":null}}',
    `{"v":1,"type":"event","kind":"a","attrs":{"long":"${'x'.repeat(2000)}"}}`,
    `{"v":1,"type":"event","kind":"a","tags":{${Array.from({ length: 65 }, (_, i) => `"k${i}":"v"`).join(',')}}}`,
  ];
  for (const line of bad) {
    const result = parseMessage(line);
    t.equal(result.ok, false, line.slice(0, 60));
    if (!result.ok) t.type(result.error, 'string');
  }
});
