import t from 'tap';
import { isLoopbackAddress, isLoopbackHost } from '../../lib/loopback.js';

t.test('loopback is decided on the address, never on a name that looks like one (review S12)', async (t) => {
  const table: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['127.evil.example', false],
    ['localhost.evil.example', false],
    ['0.0.0.0', false],
    ['::', false],
    ['10.1.2.3', false],
    ['::ffff:10.0.0.1', false],
    ['1.127.0.0', false],
  ];
  t.same(
    table.map(([h]) => [h, isLoopbackHost(h)]),
    table,
  );
  t.same(['127.0.0.1:7070', '[::1]:7070', 'unix:/run/fw.sock', '127.evil.example:7070', '0.0.0.0:7070'].map(isLoopbackAddress), [
    true,
    true,
    true,
    false,
    false,
  ]);
});
