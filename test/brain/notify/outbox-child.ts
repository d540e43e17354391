/**
 * A stand-in brain for the crash test, run as a child process:
 *   enqueue <outbox> <snppPort> <smtpPort>  → makes the page durable, says so, then hangs before sending
 *   replay  <outbox> <snppPort> <smtpPort>  → sends whatever the outbox holds, prints the timeline, exits
 */
import { systemClock } from '../../../lib/clock.js';
import { SnppChannel } from '../../../brain/channels/snpp.js';
import { EmailChannel } from '../../../brain/channels/email.js';
import { Outbox } from '../../../brain/notify/outbox.js';
import { Dispatcher } from '../../../brain/notify/dispatcher.js';
import { defaultRetryPolicy, type DeliveryEntry } from '../../../brain/notify/retry.js';
import { sampleNotification } from './sample-notification.js';

const [mode, file, snppPort, smtpPort] = process.argv.slice(2);
const outbox = Outbox.open({ file: file!, clock: systemClock });

if (mode === 'enqueue') {
  const result = outbox.enqueue(sampleNotification({ incidentId: 'INC-7', what: 'ticker plant B stale' }));
  console.log(JSON.stringify({ event: 'enqueued', status: result.status }));
  // "Incident opened, page not yet sent": wait here for the SIGKILL.
  setInterval(() => undefined, 1_000);
} else {
  const snpp = new SnppChannel({
    host: '127.0.0.1',
    port: Number(snppPort),
    login: { user: 'floorwatch' },
    hylafaxQueue: true,
    text: { maxLength: 80 },
  });
  const email = new EmailChannel({ host: '127.0.0.1', port: Number(smtpPort), from: 'floorwatch@floor.example', ignoreTLS: true });
  const timeline: DeliveryEntry[] = [];
  const dispatcher = new Dispatcher({
    outbox,
    clock: systemClock,
    policy: defaultRetryPolicy,
    route: () => [snpp, email],
    onOutcome: (e) => timeline.push(e),
  });
  const replayed = dispatcher.replay();
  await dispatcher.idle();
  await email.close();
  outbox.close();
  console.log(JSON.stringify({ event: 'replayed', replayed, timeline }));
}
