// `npm run bench`: every benchmark, one after the other (each prints its own table).
// They are long (minutes each) and want a quiet machine; run one alone with the command in its
// header comment. Needs root for the Debian peers they install (node_exporter, collectd, mtail).
import { spawnSync } from 'node:child_process';

const benches = [
  ['node', ['dist/bench/ingest.bench.js', '--seconds', '10']],
  ['node', ['dist/bench/agent.bench.js', '--seconds', '60']],
  ['node', ['--import', 'tsx', 'bench/influx.bench.ts']],
  ['node', ['--import', 'tsx', 'bench/log-rules.bench.ts']],
  ['node', ['--import', 'tsx', 'bench/plant.bench.ts']],
  ['node', ['--import', 'tsx', 'bench/scale.bench.ts']],
  ['node', ['--import', 'tsx', 'bench/paging.bench.ts']],
  ['node', ['--import', 'tsx', 'bench/detectors.bench.ts']],
  ['node', ['--expose-gc', '--import', 'tsx', 'bench/wallboard.bench.ts']],
];
let failed = 0;
for (const [cmd, args] of benches) {
  console.log(`\n### ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
