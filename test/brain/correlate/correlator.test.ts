import t from 'tap';
import type { Incident } from '../../../brain/incidents/incident.js';
import { firstPageMute } from '../../../brain/incidents/page-mute.js';
import { clear, fire, floor, killed, L, type Step } from './replay.js';

const pagesSuppressed = (inc: Incident, now: number) => firstPageMute(inc, now)?.text;

const fhA = L.proc('fh-host-a', 'fh-a');
const fhB = L.proc('fh-host-b', 'fh-b');
const hbA = L.plant('fh-a', 'feed_handler', 'fh');
const hbB = L.plant('fh-b', 'feed_handler', 'fh');

/** SIGKILL of the primary feed handler, as the brain saw it in the scenario run. */
const killFhA: Step[] = [
  killed(0, 'fh-host-a', 'fh-a'),
  fire(1, 'ProcessExited', fhA),
  fire(310, 'PlantHeartbeatLost', hbA),
  fire(320, 'PlantFailover', L.plant('fh-b', 'feed_handler', 'fh')),
];

t.test('a SIGKILL of feed handler fh-a is exactly one major incident with heartbeat loss and fail-over attached', async (t) => {
  const f = floor();
  f.replay(killFhA);
  const incidents = f.store.list();
  t.equal(incidents.length, 1);
  const inc = incidents[0]!;
  t.equal(inc.title, 'feed handler fh-a exited (signal 9)');
  t.equal(inc.severity, 'major');
  t.same(
    inc.symptoms.map((s) => s.alertname),
    ['PlantHeartbeatLost', 'PlantFailover'],
  );
  t.same(inc.impact.pairs, [{ pair: 'fh', legsDown: 1, legs: 2 }]);
});

t.test('the root says "(signal 9)" even when the alert reaches the correlator before the exit event', async (t) => {
  const f = floor();
  f.replay([fire(0, 'ProcessExited', fhA), killed(0, 'fh-host-a', 'fh-a'), fire(300, 'PlantHeartbeatLost', hbA)]);
  t.equal(f.store.list().length, 1);
  t.equal(f.store.list()[0]!.title, 'feed handler fh-a exited (signal 9)');
});

t.test("the incident resolves when fh-a is back, after the fail-over hold's grace, with a report", async (t) => {
  const f = floor({ resolveGraceMs: 30_000 });
  f.replay([...killFhA, clear(2_000, 'ProcessExited', fhA), clear(2_100, 'PlantHeartbeatLost', hbA)]);
  const inc = f.store.list()[0]!;
  t.equal(inc.status, 'open', 'the fail-over is still held, so the incident waits for its grace');
  f.clock.advance(30_000);
  t.equal(f.store.get(inc.id)!.status, 'resolved');
  t.match(f.store.get(inc.id)!.report, /# INC-0001: feed handler fh-a exited \(signal 9\)/);
  t.match(f.store.get(inc.id)!.report, /Pair fh: 1 of 2 legs down, the other leg took over, nothing lost yet/);
});

t.test('both feed handlers killed is one critical incident with the stale symbols downstream attached', async (t) => {
  const f = floor();
  f.replay([
    killed(0, 'fh-host-a', 'fh-a'),
    fire(1, 'ProcessExited', fhA),
    killed(40, 'fh-host-b', 'fh-b'),
    fire(41, 'ProcessExited', fhB),
    fire(300, 'PlantHeartbeatLost', hbA),
    fire(310, 'PlantHeartbeatLost', hbB),
    fire(1_000, 'PlantPairDown', { pair: 'fh' }, 'critical'),
    fire(2_300, 'PlantStaleSymbols', L.plant('tp-a', 'ticker_plant', 'tp')),
    fire(2_310, 'PlantStaleSymbols', L.plant('tp-b', 'ticker_plant', 'tp')),
  ]);
  const incidents = f.store.list();
  t.equal(incidents.length, 1);
  const inc = incidents[0]!;
  t.equal(inc.severity, 'critical');
  t.equal(inc.title, 'both feed handlers of pair fh down: feed handler fh-a exited (signal 9); feed handler fh-b exited (signal 9)');
  t.same(inc.symptoms.map((s) => s.alertname).sort(), [
    'PlantHeartbeatLost',
    'PlantHeartbeatLost',
    'PlantPairDown',
    'PlantStaleSymbols',
    'PlantStaleSymbols',
  ]);
  t.ok(inc.timeline.some((e) => e.kind === 'severity' && e.text === 'severity major → critical'));
});

const nicDown = fire(0, 'NicLinkDown', L.nic('tp-host-a', 'eth1'));
const hbTpA = fire(0, 'PlantHeartbeatLost', L.plant('tp-a', 'ticker_plant', 'tp'));
const tpFailover = fire(0, 'PlantFailover', L.plant('tp-b', 'ticker_plant', 'tp'));
const bond = fire(0, 'BondFailover', { agent: 'tp-host-a', host: 'tp-host-a', bond: 'bond0' });

t.test('a NIC down under a ticker plant host is one incident rooted at the NIC, whatever order the alerts arrive in', async (t) => {
  const orders: [string, Step[]][] = [
    // the NIC first, as the agent reports link down within 250 ms
    ['nic, heartbeat, fail-over, bond', [nicDown, hbTpA, tpFailover, bond]],
    // the plant's heartbeat loss first: the NIC arrives 150 ms later and becomes the root
    ['heartbeat, fail-over, nic', [hbTpA, tpFailover, nicDown]],
    // the fail-over first, then the heartbeat loss that explains it, then the NIC
    ['fail-over, heartbeat, nic', [tpFailover, hbTpA, nicDown]],
    ['bond, fail-over, nic, heartbeat', [bond, tpFailover, nicDown, hbTpA]],
  ];
  for (const [name, steps] of orders) {
    const f = floor();
    f.replay(steps.map((s, i) => ({ ...s, at: i * 50 })));
    const incidents = f.store.list();
    t.equal(incidents.length, 1, name);
    t.equal(incidents[0]!.title, 'NIC eth1 down on tp-host-a', name);
    t.equal(incidents[0]!.severity, 'major', name);
    t.equal(incidents[0]!.symptoms.length, steps.length - 1, name);
  }
});

t.test('a cause arriving after the settle window does not swallow an older incident', async (t) => {
  const f = floor({ settleMs: 200 });
  f.replay([
    { ...hbTpA, at: 0 },
    { ...nicDown, at: 5_000 },
  ]);
  t.equal(f.store.list().length, 2);
});

t.test('ten workstations of one colour silent at once are one incident naming the colour', async (t) => {
  const f = floor();
  const silent: Step[] = [];
  for (let i = 1; i <= 10; i++) silent.push(fire(i * 3, 'AgentSilent', L.agent(`ws-red-${String(i).padStart(2, '0')}`)));
  silent.push(fire(40, 'AgentSilent', L.agent('ws-blue-03')));
  f.replay(silent);
  const incidents = f.store.list();
  t.equal(incidents.length, 2, 'the red burst, and the one blue host on its own');
  const red = incidents.find((i) => i.impact.colour === 'red')!;
  t.match(red.title, /10 of 14 red hosts silent at once: shared infrastructure of checkerboard colour red/);
  t.equal(red.symptoms.filter((s) => s.alertname === 'AgentSilent').length, 10);
  t.equal(red.severity, 'major');
  t.equal(incidents.find((i) => i !== red)!.title, 'agent ws-blue-03 silent');
  f.replay([
    ...Array.from({ length: 10 }, (_, i) => clear(10_000 + i, 'AgentSilent', L.agent(`ws-red-${String(i + 1).padStart(2, '0')}`))),
  ]);
  t.equal(f.store.get(red.id)!.status, 'resolved');
});

t.test('a muted or silenced incident is recorded but its pages are suppressed', async (t) => {
  const f = floor();
  f.replay([killed(0, 'fh-host-a', 'fh-a'), fire(1, 'ProcessExited', fhA, 'major', 'maintenance window plant-upgrade')]);
  const inc = f.store.list()[0]!;
  t.equal(pagesSuppressed(inc, f.clock.now()), 'muted: maintenance window plant-upgrade');
  t.ok(inc.timeline.some((e) => e.kind === 'suppressed'));
  const g = floor();
  g.replay(killFhA);
  const id = g.store.list()[0]!.id;
  t.equal(pagesSuppressed(g.store.get(id)!, g.clock.now()), undefined);
  g.store.silence(id, 'alice', 'known: vendor restarting feed', g.clock.now() + 60_000);
  t.equal(pagesSuppressed(g.store.get(id)!, g.clock.now()), 'silenced by alice: known: vendor restarting feed');
  g.clock.advance(61_000);
  t.equal(pagesSuppressed(g.store.get(id)!, g.clock.now()), undefined, 'the silence expired');
  t.equal(g.store.list().length, 1);
});
