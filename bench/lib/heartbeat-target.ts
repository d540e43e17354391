/**
 * A stand-in plant component for the detection benchmark: sends the plant's real health
 * heartbeat (HealthPublisher, 100 ms) to the brain, and serves /metrics so Prometheus can
 * scrape the very same process. The benchmark SIGKILLs it.
 * Usage: node --import tsx bench/lib/heartbeat-target.ts <brain-health-port> <component> <metrics-port>
 */
import { createServer } from 'node:http';
import { systemClock } from '../../lib/clock.js';
import { HealthPublisher } from '../../plant/health/publisher.js';
import { bindUdp, socketOut, LOOPBACK } from '../../plant/net/udp.js';
import { idleHealth } from '../../test/helpers/idle-health.js';

const [brainPort, component, metricsPort] = [Number(process.argv[2]), process.argv[3] ?? 'hb', Number(process.argv[4])];
const socket = await bindUdp(0);
const pub = new HealthPublisher(
  socketOut(socket, () => undefined),
  [{ host: LOOPBACK, port: brainPort }],
  100,
  systemClock,
  () => idleHealth({ component, kind: 'feed_handler', pair: null, role: 'primary', term: 0, failovers: 0 }),
);
createServer((_req, res) => res.end(`# TYPE bench_target_up gauge\nbench_target_up 1\n`)).listen(metricsPort, LOOPBACK, () => {
  pub.start();
  // The publisher's timer is unref'd: keep the process alive until it is killed.
  setInterval(() => undefined, 1 << 30);
  console.log('ready');
});
