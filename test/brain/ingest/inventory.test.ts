/**
 * The fleet inventory (issue #17, item 5): each agent reports once per stream what its host is
 * (systeminformation, collected once at start), the brain shows it on /api/agents and compares
 * versions and pushed-config digests on /api/fleet, and `floorwatch agents --outdated` lists the
 * agents that differ. One brain pushing an agent configuration, one current agent, one agent that
 * reports no inventory (as an agent older than this feature would).
 */
import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAgentConfig } from '../../../agent/config.js';
import { startAgent } from '../../../agent/main.js';
import { parseBrainConfig } from '../../../brain/config.js';
import type { HostInventoryView } from '../../../brain/ingest/agents.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { VERSION } from '../../../lib/version.js';
import { getJson, scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const dir = scratchDir(t);
const pushed = join(dir, 'agents.yaml');
writeFileSync(pushed, 'interval_ms: 200\nsamplers:\n  memory: {}\n');
const pushedHash = createHash('sha256').update(readFileSync(pushed)).digest('hex').slice(0, 16);

const brain = await startBrain(
  parseBrainConfig(`
brain: {id: brain-inv, state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
access: {anonymous_read: true}
agent_config: ${pushed}
`),
  silentLogger,
);
t.teardown(() => brain.stop());

const agentText = (id: string) => `
agent: {id: ${id}, labels: {floor: ldn-3, colour: red, role: workstation}, state_dir: ${dir}/${id}}
brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}
interval_ms: 200
flush_ms: 200
samplers: {memory: {}}
`;
const current = await startAgent(parseAgentConfig(agentText('ws-inv-1')), silentLogger, undefined, { configText: agentText('ws-inv-1') });
t.teardown(() => current.stop(1000));
const old = await startAgent(parseAgentConfig(agentText('ws-inv-old')), silentLogger, undefined, { inventory: false });
t.teardown(() => old.stop(1000));

const api = `http://127.0.0.1:${brain.httpPort}`;
type View = { id: string; connected: boolean; version: string; inventory: HostInventoryView | null };

t.test('the agent reports what its host is, once, and /api/agents shows it', async (t) => {
  let seen: View[] = [];
  const view = await waitFor(
    'ws-inv-1 with an inventory, having applied the pushed config',
    async () =>
      (seen = await getJson<View[]>(`${api}/api/agents`)).find(
        (a) => a.id === 'ws-inv-1' && a.inventory?.pushed_config_hash === pushedHash,
      ),
    { timeoutMs: 60_000, everyMs: 200 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; /api/agents said ${JSON.stringify(seen)}`);
  });
  const inv = view.inventory!;
  t.match(inv.os, /\S/, `os: ${inv.os}`);
  t.equal(inv.kernel, spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(), 'kernel as uname -r says');
  t.ok(inv.cpu_cores >= 1, `cpu: ${inv.cpu_model}, ${inv.cpu_cores} cores`);
  t.ok(inv.memory_bytes > 64 * 1024 * 1024, `memory: ${inv.memory_bytes} bytes`);
  const lo = inv.nics.find((n) => n.name === 'lo');
  t.ok(lo, `NICs: ${inv.nics.map((n) => `${n.name} ${n.speed_mbps} Mb/s ${n.driver || '(virtual)'}`).join(', ')}`);
  t.equal(
    inv.config_hash,
    createHash('sha256').update(agentText('ws-inv-1')).digest('hex').slice(0, 16),
    'config_hash: the digest of the config file as read',
  );
  t.equal(inv.node_version, process.version);
  t.ok(inv.collect_ms >= 0, `collecting it cost ${inv.collect_ms} ms, once`);
  t.comment(`inventory collect_ms=${inv.collect_ms}`);
  const detail = await getJson<{ inventory: HostInventoryView | null }>(`${api}/api/hosts/ws-inv-1`);
  t.same(detail.inventory, inv, "the wall board's host detail carries it too");
});

t.test('/api/fleet and `floorwatch agents --outdated` name the agent that differs, and why', async (t) => {
  const fleet = await getJson<{ version: string; agent_config_hash: string; agents: { id: string; outdated: string[] }[] }>(
    `${api}/api/fleet`,
  );
  t.equal(fleet.version, VERSION);
  t.equal(fleet.agent_config_hash, pushedHash, 'the brain says which config it pushes');
  t.same(fleet.agents.find((a) => a.id === 'ws-inv-1')?.outdated, [], 'the current agent is not outdated');
  t.match(fleet.agents.find((a) => a.id === 'ws-inv-old')?.outdated, [/no inventory reported/], 'the agent without an inventory is');

  // Asynchronously: the brain answering it runs in this process.
  const cli = (...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((res) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'cli/floorwatch.ts'), 'agents', '--brain', api, ...args],
        { cwd: ROOT, encoding: 'utf8' },
        (err, stdout, stderr) => res({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const all = await cli();
  t.equal(all.status, 0, all.stderr);
  t.match(all.stdout, /^ws-inv-1 .* up /m, `lists every agent:\n${all.stdout}`);
  const outdated = await cli('--outdated');
  t.equal(outdated.status, 1, 'exit 1: some agents are outdated');
  t.match(outdated.stdout, /^ws-inv-old .*OUTDATED: no inventory reported/m, `lists the old one:\n${outdated.stdout}`);
  t.notMatch(outdated.stdout, /^ws-inv-1 /m, 'and not the current one');
  const down = await cli('--outdated', '--brain', 'http://127.0.0.1:1');
  t.equal(down.status, 2, `exit 2 when the brain cannot be asked: ${down.stderr.trim()}`);
});

t.test('with the ingest worker (ingest.worker: true) the inventory reaches /api/agents too', async (t) => {
  const wdir = scratchDir(t);
  const wbrain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${wdir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\naccess: {anonymous_read: true}\ningest: {worker: true}\n`,
    ),
    silentLogger,
  );
  t.teardown(() => wbrain.stop());
  const text = `agent: {id: ws-inv-w, state_dir: ${wdir}/agent}\nbrain: {addresses: ["127.0.0.1:${wbrain.grpcPort}"]}\ninterval_ms: 200\nflush_ms: 200\nsamplers: {memory: {}}\n`;
  const agent = await startAgent(parseAgentConfig(text), silentLogger, undefined, { configText: text });
  t.teardown(() => agent.stop(1000));
  let seen: View[] = [];
  const view = await waitFor(
    'ws-inv-w with an inventory at the worker-mode brain',
    async () =>
      (seen = await getJson<View[]>(`http://127.0.0.1:${wbrain.httpPort}/api/agents`)).find((a) => a.id === 'ws-inv-w' && a.inventory),
    { timeoutMs: 60_000, everyMs: 200 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; /api/agents said ${JSON.stringify(seen)}`);
  });
  t.equal(
    view.inventory?.config_hash,
    createHash('sha256').update(text).digest('hex').slice(0, 16),
    'the same inventory, through the worker',
  );
});
