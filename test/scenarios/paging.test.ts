/**
 * From a fault to a pager: a wrapped process is SIGKILLed, the brain opens one incident, pages
 * the first-line on call through a real HylaFAX SNPP server exactly once, and records the
 * delivery in the incident's timeline. Real agent, wrapper, brain, hfaxd.
 */
import t from 'tap';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { floorwatch, scratchDir, writeYaml, wrappedSleeper } from '../helpers/floorwatch.js';
import { ALICE_ON_CALL } from '../helpers/oncall.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../helpers/snpp-hfaxd.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { alwaysOpenCalendar } from '../helpers/calendar.js';
import { waitFor } from '../helpers/wait.js';

const available = await hfaxdAvailable();
if (!available.ok) t.skip(`hfaxd not available: ${available.reason}`, () => {});

t.test('a process death pages the on-call once, through a real SNPP server, and the timeline says so', async (t) => {
  const dir = scratchDir(t);
  const snpp = await startHfaxdSnpp();
  t.teardown(() => snpp.stop());
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const schedule = writeYaml(dir, 'oncall.yaml', ALICE_ON_CALL);
  const brain = await startBrain(
    parseBrainConfig(`brain: {state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
rules: {calendar: ${writeYaml(dir, 'calendar.yaml', alwaysOpenCalendar())}}
paging:
  schedule: ${schedule}
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 600, max_repeats: 0}
  snpp: {host: 127.0.0.1, port: ${snpp.port}, login: floorwatch}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
`),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const socket = `${dir}/agent.sock`;
  const agentConfig = writeYaml(
    dir,
    'agent.yaml',
    `agent: {id: fh-host-a, state_dir: ${dir}/agent}\nbrain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}\nsamplers: {local: {path: ${socket}}}\n`,
  );
  const agent = floorwatch(['agent', '--config', agentConfig]);
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  const pid = await wrappedSleeper(t, brain, socket, dir);
  process.kill(pid, 'SIGKILL');

  const incident = await waitFor('an incident', () => brain.incidents.list({ status: 'active' })[0]);
  const pages = await waitFor('the page queued at hfaxd', async () => {
    const p = await snpp.pages();
    return p.length > 0 ? p : undefined;
  });
  t.equal(pages.length, 1, 'one page');
  t.match(pages[0]!.text, /fh-a/, `the page names the process: ${pages[0]!.text}`);
  t.ok(pages[0]!.text.length <= 128, 'fits the pager');
  const delivered = await waitFor('delivery in the timeline', () =>
    brain.incidents.get(incident.id).timeline.find((e) => e.kind === 'page' && /delivered by snpp/.test(e.text)),
  );
  t.ok(delivered, 'the timeline records the delivery');
  t.equal(brain.incidents.list({ status: 'active' }).length, 1, 'still exactly one incident');
  t.equal(smtp.mails.length, 0, 'the pager worked, so no fallback mail');
});
