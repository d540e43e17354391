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
