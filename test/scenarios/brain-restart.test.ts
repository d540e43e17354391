/**
 * A brain SIGKILLed with two incidents open, while one of the two processes comes back: after
 * the restart, the incident of the process that came back resolves (its start, queued by the
 * agent while the brain was down, resolves the restored alert) and the one of the process still
 * dead stays open past the confirm window. Real brain CLI, agent, wrappers and processes.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { freePort, waitFor } from '../helpers/wait.js';
import { floorwatch, getJson, scratchDir, wrappedArgs, writeYaml, type FloorwatchProcess } from '../helpers/floorwatch.js';

interface Row {
  id: string;
  status: string;
  title: string;
}

const CONFIRM_MS = 4_000;

function childPids(wrapper: FloorwatchProcess): number[] {
  return wrapper.stderr.filter((l) => l.includes('"child started"')).map((l) => (JSON.parse(l) as { pid: number }).pid);
}

t.test('after a brain SIGKILL, the incident of a process that came back meanwhile resolves; the one still dead stays open', async (t) => {
  const dir = scratchDir(t);
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  mkdirSync(`${dir}/rules`);
  writeYaml(
    `${dir}/rules`,
    'host.yaml',
    'rules:\n  - { name: ProcessExited, kind: state-change, on: { kind: process.exit, min_severity: minor }, resolve: { kind: process.start }, hold: 1s, by: [agent, host, process], severity: major }\n',
  );
  const brainConfig = writeYaml(
    dir,
    'brain.yaml',
    `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpcPort}\nhttp: 127.0.0.1:${httpPort}\naccess: {anonymous_read: true}\nspool: {fsync: false}\nrules: {dir: ${dir}/rules}\ncorrelation: {restart_confirm_ms: ${CONFIRM_MS}}\n`,
  );
  const api = `http://127.0.0.1:${httpPort}/api`;
  const startBrain = async () => {
    const b = floorwatch(['brain', '--config', brainConfig], { built: true });
    t.teardown(() => b.kill('SIGKILL'));
    await b.line((l) => l['ready'] === 'brain');
    return b;
  };
  let brain = await startBrain();
  const socket = `${dir}/agent.sock`;
  const agent = floorwatch([
    'agent',
    '--config',
    writeYaml(
      dir,
      'agent.yaml',
      `agent: {id: app-host, state_dir: ${dir}/agent}\nbrain: {addresses: ["127.0.0.1:${grpcPort}"]}\nsamplers: {local: {path: ${socket}}}\n`,
    ),
  ]);
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  const wrap = (name: string, restart: 'never' | 'on-failure') => {
    const w = floorwatch(wrappedArgs({ name, restart, socket, dir }, ['sleep', '600']), { env: { FLOORWATCH_LOG_LEVEL: 'info' } });
    t.teardown(() => w.kill('SIGKILL'));
    return w;
  };
  const comesBack = wrap('comes-back', 'on-failure');
  const staysDead = wrap('stays-dead', 'never');
  const [backPid, deadPid] = await waitFor('both children started', () => {
    const [a, b] = [childPids(comesBack)[0], childPids(staysDead)[0]];
    return a && b ? [a, b] : undefined;
  });
  await waitFor('both starts at the brain', async () =>
    (await getJson<unknown[]>(`${api}/events?kind=process.start`)).length >= 2 ? true : undefined,
  );

  process.kill(backPid, 'SIGKILL');
  process.kill(deadPid, 'SIGKILL');
  const open = await waitFor('two incidents', async () => {
    const rows = await getJson<Row[]>(`${api}/incidents`);
    return rows.length === 2 ? rows : undefined;
  });
  void brain.kill('SIGKILL');
  await brain.exited;
  await waitFor('comes-back restarted while the brain is down', () => (childPids(comesBack).length >= 2 ? true : undefined));

  brain = await startBrain();
  const restartedAt = Date.now();
  const byTitle = (rows: Row[], name: string) => rows.find((r) => r.title.startsWith(`${name} exited`));
  const back = await waitFor(
    'the incident of the process that came back to resolve',
    async () => {
      const row = byTitle(await getJson<Row[]>(`${api}/incidents?status=all`), 'comes-back');
      return row?.status === 'resolved' ? row : undefined;
    },
    { timeoutMs: 20_000 },
  );
  t.equal(back.id, byTitle(open, 'comes-back')!.id, 'the same incident, resolved');
  const timeline = (await getJson<{ timeline: { text: string }[] }>(`${api}/incidents/${back.id}`)).timeline.map((e) => e.text).join('\n');
  t.match(timeline, /comes-back exited on \S+ \(signal 9\): resolved$/m, 'by its start, not by the confirm window');

  await waitFor('the confirm window to pass', () => (Date.now() - restartedAt > CONFIRM_MS + 1_000 ? true : undefined), {
    timeoutMs: CONFIRM_MS + 5_000,
  });
  const rows = await getJson<Row[]>(`${api}/incidents?status=all`);
  t.equal(byTitle(rows, 'stays-dead')?.status, 'open', 'the process still dead keeps its incident open');
  t.equal(rows.length, 2, 'and no duplicate was opened');
});
