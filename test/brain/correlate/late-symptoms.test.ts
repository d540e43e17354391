/**
 * Symptoms of a cause reported after the cause itself ended (drills.test.ts, kill-both-fh on a
 * busy box): the wrappers restarted both feed handlers 2 s after the SIGKILL (their crash-loop
 * back-off), which resolved the process exits, before the brain had confirmed the heartbeat
 * loss (missed-heartbeat budget + confirmation, 2.3 s) or the pair down (max age 3 s); the
 * restarted processes, warming up, were first heard 1-2 s after their start. Times as the
 * brain's event log had them (ms since the kill).
 */
import t from 'tap';
import { clear, fire, floor, killed, L, type Step } from './replay.js';

const fhA = L.proc('fh-host-a', 'fh-a');
const fhB = L.proc('fh-host-b', 'fh-b');
const hbA = L.plant('fh-a', 'feed_handler', 'fh');
const hbB = L.plant('fh-b', 'feed_handler', 'fh');
const pair = { pair: 'fh' };

const killBoth: Step[] = [
  killed(0, 'fh-host-a', 'fh-a'),
  killed(26, 'fh-host-b', 'fh-b'),
  fire(42, 'ProcessExited', fhB),
  fire(47, 'ProcessExited', fhA),
  // the wrappers' restarts (process.start): the exits resolve
  clear(2_177, 'ProcessExited', fhA),
  clear(2_181, 'ProcessExited', fhB),
];

t.test("heartbeat loss and pair down confirmed after the restarted processes started join the exits' incident", async (t) => {
  const f = floor();
  f.replay([
    ...killBoth,
    fire(2_290, 'PlantHeartbeatLost', hbA),
    fire(2_291, 'PlantHeartbeatLost', hbB),
    fire(3_189, 'PlantPairDown', pair, 'critical'),
    // the restarted feed handlers heard again
    clear(3_302, 'PlantHeartbeatLost', hbA),
    fire(3_532, 'PlantFailover', L.plant('fh-a', 'feed_handler', 'fh')),
    clear(4_198, 'PlantPairDown', pair),
    clear(4_311, 'PlantHeartbeatLost', hbB),
    clear(6_191, 'PlantFailover', L.plant('fh-a', 'feed_handler', 'fh')),
  ]);
  const seen = () => f.store.list().map((i) => `${i.id} ${i.status} ${i.title} [${i.symptoms.map((s) => s.alertname).join(',')}]`);
  t.equal(f.store.list().length, 1, `one incident for one cause; saw ${seen().join(' | ')}`);
  const inc = f.store.list()[0]!;
  t.equal(inc.severity, 'critical');
  t.same(inc.symptoms.map((s) => s.alertname).sort(), ['PlantFailover', 'PlantHeartbeatLost', 'PlantHeartbeatLost', 'PlantPairDown']);
  f.clock.advance(20_000);
  t.equal(f.store.get(inc.id)!.status, 'resolved', `resolved once everything is back; ${seen().join(' | ')}`);
  t.equal(f.store.list().length, 1, 'and nothing opened since');
});

t.test('an incident of exits resolves only after the components had their time to be heard again', async (t) => {
  const f = floor({ lateMs: 5_000 });
  f.replay(killBoth);
  const inc = f.store.list()[0]!;
  t.equal(f.store.get(inc.id)!.status, 'open', 'still open right after the restarts');
  f.clock.advance(4_900);
  t.equal(f.store.get(inc.id)!.status, 'open');
  f.clock.advance(200);
  t.equal(f.store.get(inc.id)!.status, 'resolved');
  t.match(f.store.get(inc.id)!.timeline.at(-1)?.text, /root cause and every symptom resolved/);
});

t.test('a pair still down after its processes came back is a new outage: its own incident', async (t) => {
  const f = floor({ lateMs: 5_000 });
  f.replay([
    ...killBoth,
    fire(2_290, 'PlantHeartbeatLost', hbA),
    fire(2_291, 'PlantHeartbeatLost', hbB),
    fire(3_189, 'PlantPairDown', pair, 'critical'),
  ]);
  t.equal(f.store.list().length, 1, 'the late symptoms first join the exits');
  f.clock.advance(5_000);
  const first = f.store.list().find((i) => i.roots.some((r) => r.alertname === 'ProcessExited'));
  const second = f.store.list().find((i) => i !== first);
  t.ok(second, 'a second incident once the components stayed silent past the window');
  t.equal(second?.severity, 'critical');
  t.same(second?.roots.map((r) => r.alertname).sort(), ['PlantHeartbeatLost', 'PlantHeartbeatLost', 'PlantPairDown']);
  t.match(second?.title, /^both feed handlers of pair fh down/);
  t.equal(first?.status, 'resolved', "the exits' incident resolves: its processes came back");
  t.same(first?.symptoms, []);
  // the pair back: the new incident resolves with it
  f.replay([clear(12_000, 'PlantPairDown', pair), clear(12_001, 'PlantHeartbeatLost', hbA), clear(12_002, 'PlantHeartbeatLost', hbB)]);
  t.equal(f.store.get(second!.id)!.status, 'resolved');
  t.equal(f.store.list().length, 2);
});

t.test('a heartbeat loss reported after the window ended still gets the window from its arrival', async (t) => {
  const f = floor({ lateMs: 5_000 });
  f.replay([...killBoth, fire(2_300, 'PlantFailover', L.plant('fh-a', 'feed_handler', 'fh'))]);
  f.clock.advance(5_000);
  const inc = f.store.list()[0]!;
  t.equal(f.store.get(inc.id)!.status, 'open', 'the fail-over is held: the grace runs');
  f.replay([
    fire(9_000, 'PlantHeartbeatLost', hbA),
    clear(10_000, 'PlantHeartbeatLost', hbA),
    clear(11_000, 'PlantFailover', L.plant('fh-a', 'feed_handler', 'fh')),
  ]);
  t.equal(f.store.list().length, 1);
  f.clock.advance(5_000);
  t.equal(f.store.get(inc.id)!.status, 'resolved');
});
