/** A process's identity across pid reuse: pid + start time from /proc/<pid>/stat (lib/process-identity.ts). */
import t from 'tap';
import { processKey, processStartTicks, startTicksOfStat } from '../../lib/process-identity.js';

t.test('field 22 of a stat line, counted from the last parenthesis of comm', async (t) => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // fields 3..52 hold their own number
  fields[0] = 'S';
  t.equal(startTicksOfStat(`4242 (node) ${fields.join(' ')}`), 22);
  t.equal(startTicksOfStat(`4242 (a) b (c)) ${fields.join(' ')}`), 22, 'comm with spaces and parentheses');
  t.equal(startTicksOfStat('4242 (node) S 1 2'), undefined, 'truncated: unknown, not a wrong number');
  t.equal(startTicksOfStat('garbage'), undefined);
});

t.test('this process and a missing one', async (t) => {
  const own = processStartTicks('self');
  t.ok(own !== undefined && own > 0, `own start time (${own})`);
  t.equal(processStartTicks(process.pid), own, 'by pid, the same number');
  t.equal(processStartTicks(1, '/nonexistent-proc'), undefined, 'no /proc: unknown');
});

t.test('the key: pid and start time, the pid alone only where the start time is unknown', async (t) => {
  t.equal(processKey(100, 5000), '100@5000');
  t.not(processKey(100, 5000), processKey(100, 9000), 'a reused pid is another process');
  t.equal(processKey(100, undefined), '100');
  t.equal(processKey(100, null), '100');
});
