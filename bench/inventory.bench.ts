/**
 * What the fleet inventory costs an agent (issue #17, item 5): collectInventory (agent/inventory.ts)
 * run N times in a row, each a fresh child running systeminformation. Per run: wall ms, the
 * agent's own CPU ms and the child's (cutime+cstime of this process, the children it waited
 * for); then what loading systeminformation into the agent itself would have cost in RSS (the
 * reason it runs in a child). An agent does this once per process start.
 *
 *   node --import tsx bench/inventory.bench.ts [--runs 5]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { collectInventory } from '../agent/inventory.js';

const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 5);
const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU ms of the children this process waited for (cutime + cstime, /proc/self/stat fields 16-17). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

const rows: { wall: number; own: number; child: number; collect: number }[] = [];
for (let i = 0; i < runs; i++) {
  const c0 = process.cpuUsage();
  const k0 = childrenCpuMs();
  const t0 = performance.now();
  const inv = await collectInventory({ sysRoot: '/sys', configHash: '-' });
  const wall = performance.now() - t0;
  const own = process.cpuUsage(c0);
  rows.push({ wall, own: (own.user + own.system) / 1000, child: childrenCpuMs() - k0, collect: inv.collectMs ?? 0 });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// In a fresh node, as an agent would be: RSS before and after loading systeminformation and asking it once.
const probe = `const r0 = process.memoryUsage().rss; const si = (await import(process.argv[1])).default;
await Promise.all([si.osInfo(), si.cpu(), si.mem(), si.networkInterfaces()]);
await new Promise((r) => setTimeout(r, 100)); process.stdout.write(String(process.memoryUsage().rss - r0));`;
const grown = execFileSync(process.execPath, ['--input-type=module', '-e', probe, import.meta.resolve('systeminformation')], {
  encoding: 'utf8',
});
const inProcessRssMb = Number(grown) / 1048576;

console.log(`| runs | wall ms (median) | agent CPU ms (median) | child CPU ms (median) | RSS the agent would keep if loaded in-process |`);
console.log(`|---|---|---|---|---|`);
console.log(
  `| ${runs} | ${median(rows.map((r) => r.wall)).toFixed(0)} | ${median(rows.map((r) => r.own)).toFixed(1)} | ${median(rows.map((r) => r.child)).toFixed(0)} | +${inProcessRssMb.toFixed(1)} MB |`,
);
