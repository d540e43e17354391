/**
 * Agent liveness when the brain itself stalls: batches that arrived during a stall wait on the
 * streams while the late liveness check runs, so the late check must not call those agents
 * silent (on a saturated brain that was thousands of AgentSilent alerts at once). A really
 * silent agent is still caught by the next timely check.
 */
import t from 'tap';
import { FakeClock } from '../../../lib/clock.js';
import { AgentRegistry } from '../../../brain/ingest/agents.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { LoopWatch } from '../../../brain/state/loop-watch.js';

const CHECK_MS = 250;
const SILENT_AFTER_MS = 3_000;

/** Checks run by hand so a test can make one late, as a stalled event loop does. */
function floor(agentIds: string[]) {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  const registry = new AgentRegistry({ clock, events, silentAfterMs: SILENT_AFTER_MS });
  registry.startLiveness(CHECK_MS);
  registry.stop();
  const agents = agentIds.map((id) => registry.ensure(id));
  const silent = () => events.recent({ kind: 'agent.silent' }).map((e) => e.tags['agent']);
  /** Every agent sends each second and each check runs on time, for `ms`. */
  const healthy = (ms: number, talking = agents) => {
    for (let at = CHECK_MS; at <= ms; at += CHECK_MS) {
      clock.advance(CHECK_MS);
      if (clock.now() % 1_000 === 0) talking.forEach((a) => registry.heard(a));
      registry.checkSilence();
    }
  };
  return { clock, registry, agents, silent, healthy };
}

t.test('a 5 s stall with batches queued meanwhile makes no agent silent', async (t) => {
  const f = floor(['ws-1', 'ws-2', 'ws-3']);
  f.healthy(5_000);
  f.clock.advance(5_000); // the loop is stalled: nothing runs, five batches per agent queue up
  f.registry.checkSilence(); // the late timer runs first...
  f.agents.forEach((a) => f.registry.heard(a)); // ...then the streams are read
  f.healthy(2_000);
  t.same(f.silent(), []);
});

t.test('an agent that really stopped is silent at the first timely check after the stall', async (t) => {
  const f = floor(['ws-1', 'ws-2']);
  f.healthy(5_000);
  f.clock.advance(5_000);
  f.registry.checkSilence();
  t.same(f.silent(), [], 'not judged by the late check');
  f.registry.heard(f.agents[0]!); // only ws-1's batches were queued
  f.clock.advance(CHECK_MS);
  f.registry.checkSilence();
  t.same(f.silent(), ['ws-2'], 'ws-2 is silent at the next check; ws-1 is not');
});

t.test('without a stall, silence is judged at the first check after the threshold', async (t) => {
  const f = floor(['ws-1', 'ws-2']);
  f.healthy(2_000);
  f.healthy(3_000, [f.agents[0]!]);
  t.same(f.silent(), ['ws-2']);
});

t.test("with the brain's lag watch, silence is judged in attended time: a stall is not the agents' silence", async (t) => {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  // Ticked by hand: a clock advance without a tick is the loop stalled.
  const watch = new LoopWatch({ clock, events, host: 'brain-1', tickMs: 100, behindMs: 1_000, windowMs: 5_000 });
  const registry = new AgentRegistry({ clock, events, silentAfterMs: SILENT_AFTER_MS, lag: watch });
  const [ws1, ws2] = [registry.ensure('ws-1'), registry.ensure('ws-2')];
  const silent = () => events.recent({ kind: 'agent.silent' }).map((e) => e.tags['agent']);
  const run = (ms: number, talking: (typeof ws1)[]) => {
    for (let i = 0; i < ms / 100; i++) {
      clock.advance(100);
      watch.tick();
      if (clock.now() % 1_000 === 0) talking.forEach((a) => registry.heard(a));
      registry.checkSilence();
    }
  };
  run(5_000, [ws1, ws2]);
  clock.advance(10_000); // stalled: no tick, no check, batches queue up
  registry.checkSilence(); // the liveness timer runs first on waking
  t.same(silent(), [], 'the first check after the stall calls nobody silent');
  watch.tick();
  t.same(
    events.recent({ kind: 'brain.behind' }).map((e) => [e.tags['host'], e.values['late_ms']]),
    [['brain-1', 9_900]],
    'brain.behind with the lateness',
  );
  registry.heard(ws1); // only ws-1 had sent meanwhile
  run(2_000, [ws1]);
  t.same(silent(), [], 'ws-2 not silent yet: it was last heard < 3 s of attended time ago');
  run(2_000, [ws1]);
  t.same(silent(), ['ws-2'], 'ws-2 silent once it was unheard for 3 s of attended time; ws-1 never');
  run(2_000, [ws1]);
  t.same(events.recent({ kind: 'brain.caught_up' }).length, 1, 'brain.caught_up once the stall left the window');
  t.equal(watch.lateMs, 9_900);
  t.equal(watch.stalledMs, 9_900);
  t.equal(watch.behindCount, 1);
});

t.test('a brain late on every tick but within its budget is not behind; stalled for 2 s of 5, it is', async (t) => {
  const clock = new FakeClock(0);
  const events = new EventLog({ clock });
  const watch = new LoopWatch({ clock, events, host: 'b', tickMs: 100, behindMs: 2_000, windowMs: 5_000 });
  for (let i = 0; i < 100; i++) {
    clock.advance(120); // 20 ms late a tick: a busy, timely loop
    watch.tick();
  }
  t.equal(watch.behind, false, `${watch.recentLateMs} ms of stalls within 5 s (20 ms late a tick)`);
  for (let i = 0; i < 40; i++) {
    clock.advance(200); // 100 ms late a tick: half the time on a machine shared with CPU hogs
    watch.tick();
  }
  t.equal(watch.behind, false, `${watch.recentLateMs} ms of stalls within 5 s (100 ms late a tick: slower, not behind)`);
  t.equal(watch.stalledMs, 0, 'ticks late by less than 250 ms are busy, not stalled: liveness does not discount them');
  for (let i = 0; i < 8; i++) {
    clock.advance(500); // 400 ms late a tick: blocked most of the time
    watch.tick();
  }
  t.equal(watch.behind, true, `${watch.recentLateMs} ms of stalls within 5 s (400 ms late a tick)`);
});

t.test("the ingest worker's paused reading and the hand-over's delay are not the agents' silence (issue #15)", async (t) => {
  const clock = new FakeClock(1_000); // lastHeardMs 0 means never heard
  const events = new EventLog({ clock });
  const registry = new AgentRegistry({ clock, events, silentAfterMs: SILENT_AFTER_MS });
  // What brain/start/ingest-worker.ts discounts: time paused (backpressure), and how late the last flush was applied.
  let pausedMs = 0;
  let delayMs = 0;
  registry.discount({ stalledMsNow: () => pausedMs + delayMs });
  const [a, b] = [registry.ensure('ws-1'), registry.ensure('ws-2')];
  const silent = () => events.recent({ kind: 'agent.silent' }).map((e) => e.tags['agent']);
  registry.heard(a);
  registry.heard(b);
  // The worker stops reading every stream for 5 s (queue full); the checks keep running on time.
  for (let i = 0; i < 20; i++) {
    clock.advance(CHECK_MS);
    pausedMs += CHECK_MS;
    registry.checkSilence();
  }
  t.same(silent(), [], 'nobody silent while the worker did not read');
  // Reading resumes; ws-1's queued batches reach the alerting side in a flush applied 2 s late.
  clock.advance(2_000);
  delayMs = 2_000;
  registry.heard(a);
  registry.checkSilence();
  t.same(silent(), [], 'a hand-over 2 s behind is not 2 s of silence');
  // The alerting side catches up (the delay shrinks to nothing), ws-1 still talking: ws-2 has now
  // been unheard for 3 s of the time the worker read (2 s before the delay caught up, 1 s since).
  clock.advance(1_000);
  delayMs = 0;
  registry.heard(a);
  registry.checkSilence();
  t.same(silent(), ['ws-2'], 'ws-2, unheard in attended time, is silent; ws-1 is not');
});
