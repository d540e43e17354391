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
import { testAccess } from '../helpers/access.js';

const run = promisify(execFile);

t.test('process death and NIC down raise alerts through the real pipe', async (t) => {
  const dir = scratchDir(t);
  const access = await testAccess([{ name: 'alice', role: 'operator' }]);
  const brain = await startBrain(
    parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n${access.yaml}`),
    silentLogger,
  );
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

  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const alert = await waitFor('ProcessExited firing', () =>
    brain.events.recent({ kind: 'alert.firing' }).find((e) => e.tags['alertname'] === 'ProcessExited'),
  );
  const firingSeenAfterS = (Date.now() - killedAt) / 1000;
  t.match(alert.tags, { process: 'fh-a', agent: 'tp-host-a' }, 'the alert names the process and the host');
  t.equal(alert.attrs['trigger'], 'event', 'raised on the event, not at the next evaluation slot');
  // Detection latency on /metrics: one observation, from the exit as the wrapper timed it to the
  // alert firing, so no longer than from the kill to the test seeing the alert.
  const metrics = await (await fetch(`http://127.0.0.1:${brain.httpPort}/metrics`, { headers: access.bearer('alice') })).text();
  const series = (s: string) =>
    Number(new RegExp(`^floorwatch_detection_latency_seconds_${s}\\{alertname="ProcessExited"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  t.equal(series('count'), 1, 'floorwatch_detection_latency_seconds counted the ProcessExited alert');
  const latency = series('sum');
  t.ok(
    latency >= 0 && latency <= firingSeenAfterS,
    `detection latency ${latency} s, within the ${firingSeenAfterS} s from the kill to the alert seen`,
  );
  const incident = await waitFor('one incident for the process death', () => brain.incidents.list({ status: 'active' })[0]);
  t.equal(brain.incidents.list({ status: 'active' }).length, 1, 'exactly one incident');
  t.match(incident.title, /fh-a.*signal 9|signal 9.*fh-a/, `root cause names the process and the signal: ${incident.title}`);
  const ack = floorwatch([
    'ack',
    incident.id,
    '--note',
    'restarting',
    '--brain',
    `http://127.0.0.1:${brain.httpPort}`,
    '--token-file',
    access.tokenFile(dir, 'alice'),
  ]);
  t.equal((await ack.exited).code, 0, `\`floorwatch ack\` exits 0 (stderr: ${ack.stderr.join(' | ')})`);
  t.equal(brain.incidents.get(incident.id).status, 'acknowledged', 'acknowledged through the CLI and the HTTP API');
  t.equal(brain.incidents.get(incident.id).ackedBy, 'alice', "the token's user is the actor");

  if (!canNetns) return;
  await run('ip', ['-n', ns, 'link', 'set', `fd${process.pid}b`, 'down']);
  const nic = await waitFor('NicLinkDown firing', () =>
    brain.events.recent({ kind: 'alert.firing' }).find((e) => e.tags['alertname'] === 'NicLinkDown'),
  );
  t.equal(nic.tags['interface'], veth);
  await run('ip', ['-n', ns, 'link', 'set', `fd${process.pid}b`, 'up']);
  await waitFor('NicLinkDown resolved', () =>
    brain.events.recent({ kind: 'alert.resolved' }).find((e) => e.tags['alertname'] === 'NicLinkDown'),
  );
  t.pass('resolved when the link came back');
});
