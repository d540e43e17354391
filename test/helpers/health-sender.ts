/**
 * A plant component's health heartbeat as the component sends it (the plant's HealthPublisher,
 * 100 ms), for scenarios that need the heartbeat to travel a particular path (from inside a
 * network namespace, over a veth) without the whole component. Prints `ready` once started;
 * SIGUSR2 makes it take over as primary (what its pair would do when the other leg goes quiet).
 *   node --import tsx test/helpers/health-sender.ts <host:port> <component> <kind> <pair> <role>
 */
import { systemClock } from '../../lib/clock.js';
import { HealthPublisher } from '../../plant/health/publisher.js';
import type { HealthRole } from '../../plant/health/types.js';
import { bindUdp, socketOut } from '../../plant/net/udp.js';
import { idleHealth } from './idle-health.js';

const [target, component, kind, pair, initialRole] = process.argv.slice(2) as [string, string, 'ticker_plant', string, HealthRole];
const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
let role: HealthRole = initialRole;
let failovers = 0;
const socket = await bindUdp(0, '0.0.0.0');
// A send on a downed link fails (ENETUNREACH): the heartbeat is lost, as on a real host.
const pub = new HealthPublisher(
  socketOut(socket, () => undefined),
  [{ host, port }],
  100,
  systemClock,
  () => idleHealth({ component, kind, pair, role, term: failovers + 1, failovers }),
);
process.on('SIGUSR2', () => {
  role = 'primary';
  failovers++;
  pub.publishIfChanged();
});
pub.start();
setInterval(() => undefined, 1 << 30); // the publisher's timer is unref'd
console.log('ready');
