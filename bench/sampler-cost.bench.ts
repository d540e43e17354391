/**
 * What one sample() of each sampler costs (issue #3): µs of CPU and KB allocated per call, each
 * sampler alone with a no-op emit, on a fake clock advanced 1 s per call (so a process is
 * young for 5 calls, as in a 1 s agent). Run it as the agent runs: `--no-opt` (the optimising
 * compiler stays off in an idle agent, agent/optimiser-gate.ts), semi-spaces that never grow.
 * Allocation is V8's sampling heap profiler, counting objects already collected.
 *
 *   npm run build && node --no-opt --semi-space-growth-factor=1 dist/bench/sampler-cost.bench.js
 *     [--calls 1000] [--dist /path/to/other/dist]     (--dist: another build's samplers)
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { samplersYaml } from './lib/agent-samplers.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const calls = Number(option('--calls', '1000'));
const dist = resolve(option('--dist', resolve(import.meta.dirname, '..')));

const dir = mkdtempSync(join(tmpdir(), 'fw-sampler-cost-'));
writeFileSync(join(dir, 'app.log'), '');
writeFileSync(
  join(dir, 'agent.yaml'),
  `agent: {id: cost, state_dir: ${dir}/state}
${samplersYaml({ socket: '', logFile: `${dir}/app.log` }, ['nic', 'memory', 'process', 'log'])}`,
);

type Sample = (emit: unknown) => unknown;
const { loadAgentConfig } = (await import(join(dist, 'agent/config.js'))) as {
  loadAgentConfig: (f: string) => { samplers: Record<string, unknown> };
};
const { samplerPlugins } = (await import(join(dist, 'agent/samplers/registry.js'))) as {
  samplerPlugins: { name: string; create: (section: unknown, deps: unknown) => { name: string; sample: Sample }[] }[];
};
const { FakeClock } = (await import(join(dist, 'lib/clock.js'))) as { FakeClock: new () => { advance(ms: number): void } };
const { silentLogger } = (await import(join(dist, 'lib/log.js'))) as { silentLogger: unknown };

const config = loadAgentConfig(join(dir, 'agent.yaml'));
const clock = new FakeClock();
const deps = { clock, log: silentLogger, procRoot: '/proc', sysRoot: '/sys', stateDir: join(dir, 'state') };
const noop = { gauge() {}, counter() {}, event() {}, error() {}, atSeal: (fn: (seq: number) => void) => fn(0) };
const session = new Session();
session.connect();

async function run(sample: Sample, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.advance(1000);
    await sample(noop);
  }
}

function sampledBytes(node: { selfSize: number; children: unknown[] }): number {
  return node.selfSize + (node.children as (typeof node)[]).reduce((sum, c) => sum + sampledBytes(c), 0);
}

console.log(`\nper sample() call, ${calls} calls each, ${dist}\n`);
console.log('| sampler | µs of CPU per call | KB allocated per call |');
console.log('|---|---|---|');
for (const plugin of samplerPlugins) {
  const section = config.samplers[plugin.name];
  if (section === undefined) continue;
  for (const sampler of plugin.create(section, deps)) {
    const sample = sampler.sample.bind(sampler);
    await run(sample, 50); // warm: every pid identified, every counter seen once
    const cpu0 = process.cpuUsage();
    await run(sample, calls);
    const cpu = process.cpuUsage(cpu0);
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await run(sample, calls);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const us = (cpu.user + cpu.system) / calls;
    const kb = sampledBytes(profile.head) / calls / 1024;
    console.log(`| ${sampler.name} | ${us.toFixed(0)} | ${kb.toFixed(1)} |`);
  }
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
