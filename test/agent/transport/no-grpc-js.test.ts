/**
 * `floorwatch agent` must not load @grpc/grpc-js (~14 MB of RSS; docs/architecture.md, "The
 * agent's own gRPC client"). The agent runs with a module hook that refuses to resolve it, and
 * must still start and stream to a real brain.
 */
import t from 'tap';
import { floorwatch, getJson, scratchDir, writeYaml } from '../../helpers/floorwatch.js';
import { freePort, waitFor } from '../../helpers/wait.js';

const refusingHooks = `export async function resolve(specifier, context, next) {
  if (specifier.includes('@grpc/grpc-js')) throw new Error('the agent imported @grpc/grpc-js');
  return next(specifier, context);
}`;
const registerHooks = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(refusingHooks)}));`;

t.test('the agent starts and streams without @grpc/grpc-js', async (t) => {
  const dir = scratchDir(t);
  const [grpc, http] = [await freePort(), await freePort()];
  const brain = floorwatch([
    'brain',
    '--config',
    writeYaml(
      dir,
      'brain.yaml',
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:${grpc}\nhttp: 127.0.0.1:${http}\naccess: {anonymous_read: true}\nspool: {fsync: false}\n`,
    ),
  ]);
  t.teardown(() => brain.kill('SIGKILL'));
  await brain.line((l) => l['ready'] === 'brain');

  const config = writeYaml(
    dir,
    'agent.yaml',
    `agent: {id: ws-lean, state_dir: ${dir}/agent}\nbrain: {addresses: ["127.0.0.1:${grpc}"]}\ninterval_ms: 100\nflush_ms: 100\nsamplers: {memory: {}}\n`,
  );
  const agent = floorwatch(['agent', '--config', config], {
    env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(registerHooks)}` },
  });
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  await waitFor('the agent connected at the brain', async () =>
    (await getJson<{ id: string; connected: boolean; acked_seq: number }[]>(`http://127.0.0.1:${http}/api/agents`)).find(
      (a) => a.id === 'ws-lean' && a.connected && a.acked_seq >= 2,
    ),
  );
  t.same(
    agent.stderr.filter((l) => l.includes('grpc-js')),
    [],
    'nothing about grpc-js on stderr',
  );
});
