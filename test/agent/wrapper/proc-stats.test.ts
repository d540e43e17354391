import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseStat } from '../../../agent/wrapper/proc-stats.js';

t.test("parseStat's rssPages is statm's resident count, comm with spaces and parentheses and all", async (t) => {
  const line = '4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 123456 1000000 777 18446744073709551615';
  t.match(parseStat(line), { comm: 'a (weird) name', state: 'S', ppid: 1, cpuTicks: 300, threads: 3, startTicks: 123456, rssPages: 777 });
  const resident = () => Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
  const before = resident();
  const fromStat = parseStat(readFileSync('/proc/self/stat', 'utf8'))!.rssPages;
  const after = resident();
  // Both are the kernel's per-mm counters, read a moment apart: within 1 MB of each other.
  t.ok(Math.abs(fromStat - before) < 256 && Math.abs(fromStat - after) < 256, `${fromStat} pages, statm said ${before}..${after}`);
});
