/**
 * Issue #15: a stalled brain. A real brain process (the CLI, default rules) with 40 simulated
 * workstations on real gRPC streams is stopped (SIGSTOP) for three times its silence threshold
 * and continued. When it wakes it must not call the workstations silent (their batches queued
 * meanwhile), it must say it was behind (the BrainBehind incident, the loop metrics), and its
 * liveness must still work: the workstations killed afterwards are silent, as one incident.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, waitFor, waitWhileProgressing } from '../helpers/wait.js';
import { floorwatch, getJson, scratchDir, writeYaml } from '../helpers/floorwatch.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SILENT_AFTER_MS = 2_000;
const STALL_MS = 3 * SILENT_AFTER_MS;
const AGENTS = 40;

interface Row {
  id: string;
  status: string;
  title: string;
}
interface EventRow {
  kind: string;
  tags: Record<string, string>;
  values: Record<string, number>;
}

t.test('a brain stopped for 3× the silence threshold calls no agent silent, says it was behind, and still sees agents die', async (t) => {
  const dir = scratchDir(t);
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const config = writeYaml(
    dir,
    'brain.yaml',
    `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpcPort}\nhttp: 127.0.0.1:${httpPort}\naccess: {anonymous_read: true}\nspool: {fsync: false}\n` +
      `liveness: {silent_after_ms: ${SILENT_AFTER_MS}, check_every_ms: 100, behind_after_ms: 1000, behind_grace_ms: 0}\n`,
  );
  const api = `http://127.0.0.1:${httpPort}`;
  const brain = floorwatch(['brain', '--config', config]);
  t.teardown(() => brain.kill('SIGKILL'));
  // A stopped brain must not outlive a failed test either.
  t.teardown(() => void brain.child.kill('SIGCONT'));
  await brain.line((l) => l['ready'] === 'brain');

  const ids = Array.from({ length: AGENTS }, (_, i) => `stall-ws-${i + 1}`);
  const ws = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/workstations.ts', `127.0.0.1:${grpcPort}`, 'blue', ids.join(',')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void ws.kill('SIGKILL'));
  const wsLines: string[] = [];
  createInterface({ input: ws.stdout! }).on('line', (l) => wsLines.push(l));
  await waitWhileProgressing(
    'workstations welcomed',
    () => (wsLines.includes('ready') ? true : undefined),
    () => `${wsLines.length} lines`,
    { stallMs: 30_000 },
  );
  const events = (kind: string) => getJson<EventRow[]>(`${api}/api/events?kind=${kind}&limit=1000`);
  // Every workstation heard a while (their silence would be judged from here).
  await waitFor('every workstation heard by the brain', async () => {
    const agents = await getJson<{ id: string; connected: boolean }[]>(`${api}/api/agents`);
    return agents.filter((a) => a.connected).length >= AGENTS ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 1_000));

  const stoppedAt = Date.now();
  brain.child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, STALL_MS));
  brain.child.kill('SIGCONT');
  t.ok(Date.now() - stoppedAt >= STALL_MS, `stopped for ${Date.now() - stoppedAt} ms`);

  const behind = await waitFor('brain.behind after the stall', async () => (await events('brain.behind'))[0]);
  t.ok(behind.values['late_ms']! >= STALL_MS - 1_000, `brain.behind says ${behind.values['late_ms']} ms late`);
  const incident = await waitFor('the BrainBehind incident', async () =>
    (await getJson<Row[]>(`${api}/api/incidents?status=all`)).find((r) => /^brain on .* is behind/.test(r.title)),
  );
  t.pass(`incident ${incident.id}: ${incident.title}`);
  await waitFor('brain.caught_up once the loop is timely again', async () => (await events('brain.caught_up'))[0], { timeoutMs: 20_000 });
  // Past the silence threshold after waking, in attended time: a wrong verdict would have come by now.
  await new Promise((r) => setTimeout(r, SILENT_AFTER_MS + 1_000));
  const silent = await events('agent.silent');
  t.same(
    silent.map((e) => e.tags['agent']),
    [],
    "no workstation called silent for the brain's own stall",
  );

  const metrics = await (await fetch(`${api}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
  t.ok(
    value('floorwatch_brain_loop_late_seconds_total') >= (STALL_MS - 1_000) / 1000,
    `floorwatch_brain_loop_late_seconds_total ${value('floorwatch_brain_loop_late_seconds_total')}`,
  );
  t.ok(
    value('floorwatch_brain_loop_stalled_seconds_total') >= (STALL_MS - 1_000) / 1000,
    `floorwatch_brain_loop_stalled_seconds_total ${value('floorwatch_brain_loop_stalled_seconds_total')}`,
  );
  t.equal(value('floorwatch_brain_behind_total'), 1, 'floorwatch_brain_behind_total');
  t.equal(value('floorwatch_brain_behind'), 0, 'floorwatch_brain_behind back to 0');
  t.match(metrics, /^floorwatch_brain_loop_delay_p99_seconds \S+$/m, 'loop delay p99 exported');

  // Liveness still works after the stall: the workstations die, every one is silent.
  const killedAt = Date.now();
  ws.kill('SIGKILL');
  const dead = await waitFor(
    `${AGENTS} agent.silent`,
    async () => {
      const rows = await events('agent.silent');
      return rows.length >= AGENTS ? rows : undefined;
    },
    { timeoutMs: 20_000 },
  );
  t.same(new Set(dead.map((e) => e.tags['agent'])), new Set(ids), `every workstation silent, ${Date.now() - killedAt} ms after the kill`);
  const colour = await waitFor('one incident for the dark colour', async () =>
    (await getJson<Row[]>(`${api}/api/incidents?status=all`)).filter((r) => /blue/.test(r.title)),
  );
  t.equal(colour.length, 1, `one incident for the blue hosts: ${colour.map((r) => r.title).join('; ')}`);
});
