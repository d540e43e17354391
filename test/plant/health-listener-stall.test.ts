/**
 * A brain event loop stalled past the heartbeat budget must not lose a plant component whose
 * heartbeats kept coming: they wait in the socket while the late sweep runs.
 */
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { encodeHealth } from '../../plant/health/codec.js';
import { HealthListener } from '../../plant/health/listener.js';
import type { HealthHeartbeat } from '../../plant/health/types.js';
import { idleHeartbeat } from '../helpers/idle-health.js';

/** The primary feed handler's heartbeat number `hb_seq`, moving data. */
const hb = (hb_seq: number): HealthHeartbeat => ({
  ...idleHeartbeat(
    { component: 'fh-a', kind: 'feed_handler', pair: 'fh', role: 'primary', term: 1, failovers: 0 },
    { hb_seq, interval_ms: 100, pid: 1, time_us: 1, mono_us: 1 },
  ),
  seq: 10,
  rates: { in_per_s: 1, out_per_s: 1 },
  role_since_mono_us: 1,
});

/** The loop's order after a stall: timers (the sweep) first, then the socket's queued datagrams. */
function listenerOnFakeClock() {
  const clock = new FakeClock(0);
  const listener = new HealthListener({ port: 0, clock });
  const lost: number[] = [];
  listener.on('lost', () => lost.push(clock.monotonic()));
  let seq = 0;
  const heartbeat = () => listener.ingest(encodeHealth(hb(++seq)), 'test');
  /** Heartbeats every 100 ms and sweeps every 10 ms, both on time, for `ms`. */
  const healthy = (ms: number) => {
    for (let at = 10; at <= ms; at += 10) {
      clock.advance(10);
      if (at % 100 === 0) heartbeat();
      listener.sweep();
    }
  };
  return { clock, listener, lost, heartbeat, healthy };
}

t.test('a 500 ms stall with heartbeats queued meanwhile loses nothing', async (t) => {
  const f = listenerOnFakeClock();
  f.healthy(1_000);
  f.clock.advance(500); // nothing runs: the loop is stalled; five heartbeats wait in the socket
  f.listener.sweep(); // the late timer runs first...
  for (let i = 0; i < 5; i++) f.heartbeat(); // ...then the poll phase reads the queue
  f.healthy(200);
  t.same(f.lost, []);
});

t.test('a component that really went silent is still lost, by the first timely sweep after a stall', async (t) => {
  const f = listenerOnFakeClock();
  f.healthy(1_000);
  f.clock.advance(500);
  f.listener.sweep();
  t.same(f.lost, [], 'not judged by the late sweep');
  f.clock.advance(10);
  f.listener.sweep();
  t.same(f.lost, [1_510], 'lost at the next sweep: the socket was read in between and held nothing');
});

t.test('without a stall, loss is judged at once (3 intervals + one sweep)', async (t) => {
  const f = listenerOnFakeClock();
  f.healthy(1_000);
  for (let i = 0; i < 31; i++) {
    f.clock.advance(10);
    f.listener.sweep();
  }
  t.same(f.lost, [1_310]);
});
