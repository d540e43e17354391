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

const [brainPort, component, metricsPort] = [Number(process.argv[2]), process.argv[3] ?? 'hb', Number(process.argv[4])];
const socket = await bindUdp(0);
const pub = new HealthPublisher(socketOut(socket, () => undefined), [{ host: LOOPBACK, port: brainPort }], 100, systemClock, () => ({
  component,
  kind: 'feed_handler',
  pair: null,
  role: 'primary',
  state: 'ok',
  reason: null,
  term: 0,
  seq: 0,
  rates: { in_per_s: 0, out_per_s: 0 },
  latency_us: null,
  gaps: { detected: 0, recovered: 0, unrecoverable: 0, unrecoverable_records: 0 },
  duplicates: 0,
  stale_symbols: 0,
  stale_sample: [],
  feeds: {},
  failovers: 0,
  role_since_mono_us: 0,
  peer: null,
  counters: {},
}));
createServer((_req, res) => res.end(`# TYPE bench_target_up gauge\nbench_target_up 1\n`)).listen(metricsPort, LOOPBACK, () => {
  pub.start();
  // The publisher's timer is unref'd: keep the process alive until it is killed.
  setInterval(() => undefined, 1 << 30);
  console.log('ready');
});
