/**
 * Drills find the floor's processes by command line; against a demo, only that demo's (their
 * --config in its state directory): two demos on one host run the same component ids.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { agentPids, plantComponentPids } from '../../../cli/drill/processes.js';
import { waitFor } from '../../helpers/wait.js';

t.test('plant components and agents of one demo, not of another demo beside it', async (t) => {
  const id = `fh-scope-${process.pid}`;
  const start = (...argv: string[]) => {
    // Stand-ins with a floorwatch-like command line: node ignores the arguments after the script.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', ...argv], { stdio: 'ignore' });
    t.teardown(() => void child.kill('SIGKILL'));
    return child.pid!;
  };
  const a = start('plant', 'feed-handler', '--id', id, '--config', '/tmp/demo-a/plant.yaml');
  const b = start('plant', 'feed-handler', '--id', id, '--config', '/tmp/demo-ab/plant.yaml');
  const wa = start('agent', '--config', '/tmp/demo-a/agents/ws.yaml', '--id', `ws-${id}`);
  start('agent', '--config', '/tmp/demo-b/agents/ws.yaml', '--id', `ws-${id}`);
  await waitFor('the stand-ins', () => plantComponentPids(id).length === 2 && agentPids(`ws-${id}`).length === 2);
  t.same(plantComponentPids(id).sort(), [a, b].sort(), 'unscoped (a real floor): every process of the id on the host');
  t.same(plantComponentPids(id, '/tmp/demo-a'), [a], "scoped to demo-a: its own, not demo-ab's (a prefix of the name is not the folder)");
  t.same(plantComponentPids(id, '/tmp/demo-a/'), [a], 'with or without the trailing slash');
  t.same(agentPids(`ws-${id}`, '/tmp/demo-a'), [wa], 'agents the same');
});
