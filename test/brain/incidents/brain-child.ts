/**
 * A stand-in brain for the kill -9 test, run as a child process: the real Correlator and
 * IncidentStore over <journal> take the fh-a SIGKILL sequence, the incident is acked and noted,
 * the child says so and then waits for its own SIGKILL in the middle of the open incident.
 */
import { fire, floor, killed, L } from '../correlate/replay.js';

const file = process.argv[2]!;
const f = floor({}, file);
f.replay([
  killed(0, 'fh-host-a', 'fh-a'),
  fire(1, 'ProcessExited', L.proc('fh-host-a', 'fh-a')),
  fire(300, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh')),
]);
const id = f.store.list()[0]!.id;
f.store.ack(id, 'night-oncall', 'looking');
f.store.addTimeline(id, { kind: 'page', text: 'page sent to night-oncall (SNPP)' });
console.log(JSON.stringify({ event: 'ready', id, timeline: f.store.get(id)!.timeline.length }));
setInterval(() => undefined, 1_000);
