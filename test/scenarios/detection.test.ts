/**
 * Fault → alert in the brain, through the real pipe: a wrapped process SIGKILLed (wrapper →
 * local socket → agent → gRPC → brain → rules) and a NIC taken down in a network namespace
 * (kernel → agent NIC sampler → brain → rules). The default rule set (rules/) is what fires.
 * Timing is measured by the benchmark; here the alert must simply come, with the right labels.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { floorwatch, scratchDir, writeYaml, wrappedSleeper } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

t.test('process death and NIC down raise alerts through the real pipe', async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n`), silentLogger);
  t.teardown(() => brain.stop());
  const ns = `fwdet${process.pid}`;
  const veth = `fd${process.pid}a`;
  const canNetns = process.getuid?.() === 0;
  if (canNetns) {
    t.teardown(async () => {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      await run('ip', ['link', 'del', veth]).catch(() => undefined);
    });
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `fd${process.pid}b`]);
    await run('ip', ['link', 'set', `fd${process.pid}b`, 'netns', ns]);
    await run('ip', ['link', 'set', veth, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', `fd${process.pid}b`, 'up']);
  }
  const socket = `${dir}/agent.sock`;
  const config = writeYaml(
    dir,
    'agent.yaml',
    `agent: {id: tp-host-a, state_dir: ${dir}/agent, labels: {role: plant}}
brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}
samplers:
  local: {path: ${socket}}
  nic: {include: ["${veth}"], exclude: []}
`,
  );
  const agent = floorwatch(['agent', '--config', config]);
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  const pid = await wrappedSleeper(t, brain, socket, dir);
  t.ok(pid > 0, `the brain knows the child's pid (${pid})`);

  process.kill(pid, 'SIGKILL');
  const alert = await waitFor('ProcessExited firing', () => brain.events.recent({ kind: 'alert.firing' }).find((e) => e.tags['alertname'] === 'ProcessExited'));
  t.match(alert.tags, { process: 'fh-a', agent: 'tp-host-a' }, 'the alert names the process and the host');
  t.equal(alert.attrs['trigger'], 'event', 'raised on the event, not at the next evaluation slot');
  const incident = await waitFor('one incident for the process death', () => brain.incidents.list({ status: 'active' })[0]);
  t.equal(brain.incidents.list({ status: 'active' }).length, 1, 'exactly one incident');
  t.match(incident.title, /fh-a.*signal 9|signal 9.*fh-a/, `root cause names the process and the signal: ${incident.title}`);
  const ack = floorwatch(['ack', incident.id, '--by', 'alice', '--note', 'restarting', '--brain', `http://127.0.0.1:${brain.httpPort}`]);
  t.equal((await ack.exited).code, 0, '`floorwatch ack` exits 0');
  t.equal(brain.incidents.get(incident.id).status, 'acknowledged', 'acknowledged through the CLI and the HTTP API');

  if (!canNetns) return;
  await run('ip', ['-n', ns, 'link', 'set', `fd${process.pid}b`, 'down']);
  const nic = await waitFor('NicLinkDown firing', () => brain.events.recent({ kind: 'alert.firing' }).find((e) => e.tags['alertname'] === 'NicLinkDown'));
  t.equal(nic.tags['interface'], veth);
  await run('ip', ['-n', ns, 'link', 'set', `fd${process.pid}b`, 'up']);
  await waitFor('NicLinkDown resolved', () => brain.events.recent({ kind: 'alert.resolved' }).find((e) => e.tags['alertname'] === 'NicLinkDown'));
  t.pass('resolved when the link came back');
});
