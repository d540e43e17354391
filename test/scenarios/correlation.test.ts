/**
 * Issue #5's must-show correlation scenarios through the brain's real ingest: a real brain
 * (startBrain) with the default rules and the example topology, fed by real agents over gRPC,
 * real `floorwatch run` wrappers around the real plant, a real veth in a network namespace,
 * and simulated workstations on real gRPC streams. Each scenario asserts the incidents the
 * brain opened, not the alerts.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain, type BrainHandle } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { PlantHarness } from '../../plant/harness.js';
import { floorwatch, scratchDir, writeYaml, type FloorwatchProcess } from '../helpers/floorwatch.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../helpers/snpp-hfaxd.js';
import { alwaysOpenCalendar } from '../helpers/calendar.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TOPOLOGY = resolve(ROOT, 'docs/examples/topology.yaml');
const PLANT_MAIN = resolve(ROOT, 'plant/main.ts');
type Test = { teardown(fn: () => unknown): void };

/** LDN trades all day every day, so phase-scoped rules (stale symbols) run whenever the suite does. */
function calendar(dir: string, silences = '[]'): string {
  return writeYaml(dir, 'calendar.yaml', alwaysOpenCalendar(silences));
}

async function brainFor(
  t: Test,
  dir: string,
  o: { silences?: string; paging?: string; silentAfterMs?: number } = {},
): Promise<BrainHandle> {
  const brain = await startBrain(
    parseBrainConfig(`brain: {state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
topology: ${TOPOLOGY}
rules: {calendar: ${calendar(dir, o.silences)}}
plant: {health_listen: "0.0.0.0:0", missed_heartbeats: 3}
liveness: {silent_after_ms: ${o.silentAfterMs ?? 5000}, check_every_ms: 100}
correlation: {resolve_grace_ms: 2000}
${o.paging ?? ''}`),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  return brain;
}

/** A real agent for `host` with the local socket wrapped processes report to (plus extra samplers). */
async function agentOn(t: Test, dir: string, brain: BrainHandle, host: string, samplers = ''): Promise<string> {
  const socket = `${dir}/${host}.sock`;
  const config = writeYaml(
    dir,
    `${host}.yaml`,
    `agent: {id: ${host}, host: ${host}, state_dir: ${dir}/${host}}\nbrain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}\nsamplers:\n  local: {path: ${socket}}\n${samplers}`,
  );
  const agent = floorwatch(['agent', '--config', config], { built: true });
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  return socket;
}

/** `floorwatch run --name <name>` around `argv`; resolves with the wrapper and the child's pid as the brain saw it start. */
async function wrapped(
  t: Test,
  brain: BrainHandle,
  socket: string,
  name: string,
  argv: string[],
): Promise<{ wrapper: FloorwatchProcess; pid: number }> {
  const seen = new Set(brain.events.recent({ kind: 'process.start', limit: 10_000 }).map((e) => e.id));
  const wrapper = floorwatch(['run', '--name', name, '--restart', 'never', '--agent-socket', socket, '--', ...argv], { built: true });
  t.teardown(() => wrapper.kill('SIGKILL'));
  const started = await waitFor(
    `${name} started at the brain`,
    () => brain.events.recent({ kind: 'process.start', limit: 10_000 }).find((e) => e.tags['process'] === name && !seen.has(e.id)),
    { timeoutMs: 20_000 },
  );
  return { wrapper, pid: Number(started.attrs['pid'] ?? started.values['pid']) };
}

/** waitFor, and on a timeout the incidents and alerts the brain had, to say what went wrong. */
async function until<T>(brain: BrainHandle, what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, probe, { timeoutMs }).catch((err: Error) => {
    const alerts = brain.events
      .recent({ limit: 10_000 })
      .filter((e) => e.kind.startsWith('alert.') || e.kind.startsWith('plant.'))
      .map((e) => `${e.kind} ${JSON.stringify(e.tags)} ${JSON.stringify(e.attrs)}`);
    const incidents = brain.incidents
      .list()
      .map((s) => brain.incidents.get(s.id))
      .map((i) => ({
        title: i.title,
        status: i.status,
        severity: i.severity,
        roots: i.roots.map((r) => r.alertname),
        symptoms: i.symptoms.map((r) => r.alertname),
      }));
    throw new Error(`${err.message}\nincidents: ${JSON.stringify(incidents, null, 1)}\nalerts:\n${alerts.join('\n')}`);
  });
}

function activeIncidents(brain: BrainHandle) {
  return brain.incidents.list({ status: 'active' }).map((s) => brain.incidents.get(s.id));
}

t.test('the plant under real agents and wrappers: kills of the feed handlers', async (t) => {
  const dir = scratchDir(t);
  const brain = await brainFor(t, dir);
  const plant = await PlantHarness.create({ subscribers: [{ id: 'subscriber-fx-01' }], symbols: 10, rate: 500 });
  t.teardown(() => plant.stopAll());
  // The brain listens for the plant's health as well as the harness.
  (plant.config['health'] as { targets: string[] }).targets.push(`127.0.0.1:${brain.plantHealthPort}`);
  writeFileSync(plant.file, stringify(plant.config));
  const [sockA, sockB] = await Promise.all([agentOn(t, dir, brain, 'fh-host-a'), agentOn(t, dir, brain, 'fh-host-b')]);
  const socketOf: Record<string, string> = { 'fh-a': sockA, 'fh-b': sockB };
  const feedHandler = (id: string) =>
    wrapped(t, brain, socketOf[id]!, id, [
      process.execPath,
      '--import',
      'tsx',
      PLANT_MAIN,
      'feed-handler',
      '--id',
      id,
      '--config',
      plant.file,
    ]);
  // The provider starts last, so no member misses the feed's first records (an unrecoverable gap).
  for (const id of ['tp-a', 'tp-b']) plant.start(id, ['ticker-plant', '--id', id]);
  plant.start('subscriber-fx-01', ['subscriber', '--id', 'subscriber-fx-01']);
  const pids: Record<string, number> = {};
  await Promise.all(['fh-a', 'fh-b'].map(async (id) => (pids[id] = (await feedHandler(id)).pid)));
  plant.startProvider();
  await waitFor(
    'one primary feed handler and ticker plant, symbols flowing to the desk',
    () => plant.primary('fh') && plant.primary('tp') && plant.hb('subscriber-fx-01')?.stale_symbols === 0,
    { timeoutMs: 30_000 },
  );
  await waitFor(
    'the brain sees both pairs',
    () => [...brain.series.select({ measurement: 'plant', field: 'primary' })].filter((s) => s.last === 1).length === 2,
  );
  // Until the feed flows the ticker plants and the desk report stale symbols (as at Beginning of Day):
  // wait for those to resolve. A starved box (2 cores, the suite running beside) may add a spurious
  // fail-over of its own; each fault below is judged by the incidents it opened.
  await waitFor(
    'the start-up stale symbols resolved',
    () => !activeIncidents(brain).some((i) => i.roots.some((r) => r.alertname === 'PlantStaleSymbols')),
    { timeoutMs: 20_000 },
  ).catch(() => undefined);
  const first = plant.primary('fh')!.component;
  const other = first === 'fh-a' ? 'fh-b' : 'fh-a';

  await t.test(`SIGKILL of the primary feed handler: one major incident, resolved when it is back as secondary`, async (t) => {
    const before = new Set(brain.incidents.list().map((i) => i.id));
    // If a starved start-up already flapped `other` to primary and an incident of that is still
    // open, the take-over below is announced again but stays a symptom of that incident.
    const flapped = activeIncidents(brain).some((i) =>
      [...i.roots, ...i.symptoms].some((r) => r.alertname === 'PlantFailover' && r.labels['component'] === other && r.state === 'firing'),
    );
    if (flapped) t.comment(`${other} flapped to primary during start-up; its PlantFailover stays with that open incident`);
    process.kill(pids[first]!, 'SIGKILL');
    const inc = await until(brain, 'the incident with the heartbeat loss and the fail-over attached', () => {
      const i = opened(brain, before).find((x) => x.roots.some((r) => r.alertname === 'ProcessExited'));
      const names = i?.symptoms.map((s) => s.alertname) ?? [];
      return names.includes('PlantHeartbeatLost') && (flapped || names.includes('PlantFailover')) ? i : undefined;
    });
    t.same(
      opened(brain, before)
        .filter(aboutPair('fh'))
        .map((i) => i.title),
      [inc.title],
      'exactly one incident for the feed-handler pair',
    );
    noteOthers(t, brain, before, 'fh');
    t.equal(inc.title, `feed handler ${first} exited (signal 9)`);
    t.equal(inc.severity, 'major', 'one leg of the pair lost');
    t.same(
      inc.roots.map((r) => r.alertname),
      ['ProcessExited'],
    );
    pids[first] = (await feedHandler(first)).pid;
    await waitFor(`${first} back as secondary`, () => plant.hb(first)?.role === 'secondary', { timeoutMs: 15_000 });
    t.equal(plant.primary('fh')?.component, other, `${other} stays primary`);
    // ProcessExited holds 30 s after the exit (rules/host.yaml); then the fail-over's grace.
    const resolved = await until(
      brain,
      'the incident resolved',
      () => (brain.incidents.get(inc.id).status === 'resolved' ? brain.incidents.get(inc.id) : undefined),
      45_000,
    );
    t.match(resolved.report, new RegExp(`feed handler ${first} exited \\(signal 9\\)`));
  });

  await t.test('both feed handlers killed: one critical incident with the stale symbols attached', async (t) => {
    const before = new Set(brain.incidents.list().map((i) => i.id));
    process.kill(pids[other]!, 'SIGKILL');
    process.kill(pids[first]!, 'SIGKILL');
    const inc = await until(
      brain,
      'a critical incident with stale symbols attached',
      () => {
        const i = opened(brain, before).find((x) => x.roots.some((r) => r.alertname === 'ProcessExited'));
        return i?.severity === 'critical' && i.symptoms.some((s) => s.alertname === 'PlantStaleSymbols') ? i : undefined;
      },
      20_000,
    );
    t.same(
      opened(brain, before)
        .filter(aboutPair('fh'))
        .map((i) => i.title),
      [inc.title],
      'exactly one incident',
    );
    noteOthers(t, brain, before, 'fh');
    t.same(
      inc.roots
        .filter((r) => r.alertname === 'ProcessExited')
        .map((r) => r.labels['process'])
        .sort(),
      ['fh-a', 'fh-b'],
      'both exits are its causes',
    );
    t.match(inc.title, /both feed handlers of pair fh down/);
    t.match(inc.impact.pairs, [{ pair: 'fh', legsDown: 2, legs: 2 }]);
    t.notOk(
      opened(brain, before).some((i) => i.id !== inc.id && i.roots.some((r) => r.alertname === 'PlantStaleSymbols')),
      'no stale-symbols incident of its own',
    );
  });
});

/** Incidents opened since `before` (ids), still open or not, merged ones left out. */
function opened(brain: BrainHandle, before: Set<string>) {
  return brain.incidents
    .list()
    .filter((s) => !before.has(s.id))
    .map((s) => brain.incidents.get(s.id))
    .filter((i) => !i.mergedInto);
}

const aboutPair = (pair: string) => (i: ReturnType<typeof opened>[number]) =>
  i.impact.pairs.some((p) => p.pair === pair) || [...i.roots, ...i.symptoms].some((r) => r.labels['pair'] === pair);

/** Other incidents the box's load caused meanwhile (a starved ticker plant failing over): shown, not judged. */
function noteOthers(t: { comment(...m: unknown[]): void }, brain: BrainHandle, before: Set<string>, pair: string): void {
  for (const i of opened(brain, before).filter((x) => !aboutPair(pair)(x))) t.comment(`unrelated incident meanwhile: ${i.title}`);
}

t.test(
  'a NIC taken down under a ticker plant host: one incident rooted at the NIC with the plant symptoms',
  { skip: process.getuid?.() !== 0 && 'needs root for ip netns' },
  async (t) => {
    const dir = scratchDir(t);
    const brain = await brainFor(t, dir);
    const ns = `fwcor${process.pid}`;
    const [hostSide, nsSide] = [`fc${process.pid}a`, `fc${process.pid}b`];
    const net = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
    t.teardown(async () => {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      await run('ip', ['link', 'del', hostSide]).catch(() => undefined);
    });
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
    await run('ip', ['link', 'set', nsSide, 'netns', ns]);
    await run('ip', ['addr', 'add', `${net}.1/24`, 'dev', hostSide]);
    await run('ip', ['link', 'set', hostSide, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${net}.2/24`, 'dev', nsSide]);
    await run('ip', ['-n', ns, 'link', 'set', nsSide, 'up']);
    await agentOn(t, dir, brain, 'tp-host-a', `  nic: {include: ["${hostSide}"], exclude: []}\n`);
    // tp-a's heartbeats leave through the veth (as a ticker plant's leave through its NIC); tp-b's through loopback.
    const sender = (args: string[], netns?: string) => {
      const argv = [process.execPath, '--import', 'tsx', resolve(ROOT, 'test/helpers/health-sender.ts'), ...args];
      const child = netns ? spawn('ip', ['netns', 'exec', netns, ...argv], { cwd: ROOT }) : spawn(argv[0]!, argv.slice(1), { cwd: ROOT });
      t.teardown(() => void child.kill('SIGKILL'));
      return child;
    };
    const tpA = sender([`${net}.1:${brain.plantHealthPort}`, 'tp-a', 'ticker_plant', 'tp', 'primary'], ns);
    const tpB = sender([`127.0.0.1:${brain.plantHealthPort}`, 'tp-b', 'ticker_plant', 'tp', 'secondary']);
    await Promise.all([tpA, tpB].map((c) => readyLine(c)));
    // Two heartbeats of tp-a as primary: a steady primary, so tp-b's takeover is a fail-over, not an election.
    const heardAt = () => [...brain.series.select({ agentId: 'plant:tp-a', field: 'primary' })][0]?.lastUs;
    const first = await waitFor('the brain hears tp-a', heardAt);
    await waitFor(
      'tp-a heard again, and tp-b',
      () => heardAt()! > first && [...brain.series.select({ agentId: 'plant:tp-b', field: 'primary' })].length > 0,
    );

    await run('ip', ['-n', ns, 'link', 'set', nsSide, 'down']);
    await waitFor('tp-a heartbeat lost at the brain', () =>
      brain.events.recent({ kind: 'plant.heartbeat_lost' }).find((e) => e.tags['component'] === 'tp-a'),
    );
    tpB.kill('SIGUSR2'); // tp-b misses tp-a's pair heartbeats and takes over
    const inc = await until(brain, 'the NIC incident with heartbeat loss and fail-over attached', () => {
      const [i] = activeIncidents(brain);
      const names = i?.symptoms.map((s) => s.alertname) ?? [];
      return names.includes('PlantHeartbeatLost') && names.includes('PlantFailover') ? i : undefined;
    });
    t.equal(activeIncidents(brain).length, 1, 'exactly one incident');
    t.equal(inc.title, `NIC ${hostSide} down on tp-host-a`);
    t.same(
      inc.roots.map((r) => r.alertname),
      ['NicLinkDown'],
    );
    t.equal(inc.severity, 'major', 'one leg of the ticker plant pair lost');
    t.match(inc.impact.pairs, [{ pair: 'tp', legsDown: 1, legs: 2 }]);
  },
);

t.test('ten workstations of one colour silent at once: one incident naming the colour', async (t) => {
  const dir = scratchDir(t);
  const brain = await brainFor(t, dir, { silentAfterMs: 1000 });
  const ids = (colour: string, n: number) =>
    Array.from({ length: n }, (_, i) => `ws-${colour}-${String(i + 1).padStart(2, '0')}`).join(',');
  const floorOf = (colour: string, n: number) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'test/helpers/workstations.ts'), `127.0.0.1:${brain.grpcPort}`, colour, ids(colour, n)],
      { cwd: ROOT },
    );
    t.teardown(() => void child.kill('SIGKILL'));
    return child;
  };
  const red = floorOf('red', 10);
  const blue = floorOf('blue', 4);
  await Promise.all([readyLine(red), readyLine(blue)]);
  await waitFor(
    '14 workstations connected',
    () => [...brain.agents.all()].filter((a) => a.id.startsWith('ws-') && a.connected).length === 14,
  );

  red.kill('SIGKILL');
  const inc = await until(
    brain,
    'the shared-infrastructure incident with all ten attached',
    () => {
      const [i] = activeIncidents(brain);
      return i?.impact.colour === 'red' && i.symptoms.filter((s) => s.alertname === 'AgentSilent').length === 10 ? i : undefined;
    },
    15_000,
  );
  t.equal(activeIncidents(brain).length, 1, 'one incident, not ten');
  t.match(inc.title, /^10 of \d+ red hosts silent at once: shared infrastructure of checkerboard colour red/);
  t.same(
    inc.roots.map((r) => r.alertname),
    ['SharedInfrastructureSilent'],
  );
  t.notOk(
    inc.symptoms.some((s) => s.labels['agent']?.startsWith('ws-blue')),
    'the other colour is untouched',
  );
});

const hfaxd = await hfaxdAvailable();
t.test(
  'a silence holds back the page, and the incident is still recorded',
  { skip: !hfaxd.ok && `hfaxd not available: ${hfaxd.ok ? '' : hfaxd.reason}` },
  async (t) => {
    const dir = scratchDir(t);
    const snpp = await startHfaxdSnpp();
    t.teardown(() => snpp.stop());
    const schedule = writeYaml(
      dir,
      'oncall.yaml',
      `people:\n  alice: { name: Alice Ng, pager: oncall-ldn, email: alice@floor.example, timeZone: Europe/London }\nrotations:\n  - { name: always, tier: first-line, timeZone: UTC, start: "00:00", end: "24:00", people: [alice] }\n`,
    );
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const brain = await brainFor(t, dir, {
      silences: `[{id: s-risk, match: ['process="risk-engine"'], author: bob, reason: "risk engine redeploy", expires: "${expires}"}]`,
      paging: `paging:\n  schedule: ${schedule}\n  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 600, max_repeats: 0}\n  snpp: {host: 127.0.0.1, port: ${snpp.port}, login: floorwatch}\n`,
    });
    const socket = await agentOn(t, dir, brain, 'ws-fx-01');
    const silenced = await wrapped(t, brain, socket, 'risk-engine', ['sleep', '600']);
    const control = await wrapped(t, brain, socket, 'pricer', ['sleep', '600']);

    process.kill(silenced.pid, 'SIGKILL');
    const held = await until(brain, 'the silenced incident, recorded', () =>
      activeIncidents(brain).find((i) => i.title.startsWith('risk-engine exited')),
    );
    t.match(held.roots[0]!.muted, /risk engine redeploy/, 'the root carries the silence');
    // The unsilenced control pages; pages go out in order, so once it is there the silenced one would have been too.
    process.kill(control.pid, 'SIGKILL');
    const pages = await waitFor(
      'the control page at hfaxd',
      async () => {
        const p = await snpp.pages();
        return p.some((x) => /pricer/.test(x.text)) ? p : undefined;
      },
      { timeoutMs: 20_000 },
    );
    t.equal(pages.length, 1, 'one page: the control');
    t.notOk(
      pages.some((p) => /risk-engine/.test(p.text)),
      'no page for the silenced process',
    );
    const timeline = brain.incidents.get(held.id).timeline;
    t.ok(
      timeline.some((e) => e.kind === 'suppressed' && /risk engine redeploy/.test(e.text)),
      'the timeline says why no page went out',
    );
    t.notOk(
      timeline.some((e) => e.kind === 'page'),
      'and records no page',
    );
  },
);

async function readyLine(child: ChildProcess): Promise<void> {
  const lines = createInterface({ input: child.stdout! });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((res, rej) => {
    lines.on('line', (l) => l === 'ready' && res());
    child.once('exit', (code) => rej(new Error(`exited ${code} before ready: ${err.slice(-1000)}`)));
    setTimeout(() => rej(new Error(`not ready in 20 s: ${err.slice(-1000)}`)), 20_000).unref();
  });
}
