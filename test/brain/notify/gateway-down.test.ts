import t from 'tap';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { SnppChannel } from '../../../brain/channels/snpp.js';
import { EmailChannel } from '../../../brain/channels/email.js';
import type { Channel } from '../../../brain/channels/channel.js';
import { Outbox } from '../../../brain/notify/outbox.js';
import { Dispatcher } from '../../../brain/notify/dispatcher.js';
import type { DeliveryEntry, RetryPolicy } from '../../../brain/notify/retry.js';
import type { Notification } from '../../../brain/channels/notification.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../../helpers/snpp-hfaxd.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';
import { sampleNotification } from './sample-notification.js';

/** Counts sends in flight, so the test moves the fake clock only when the real sockets are quiet. */
class Watched implements Channel {
  inFlight = 0;
  constructor(private readonly inner: Channel) {}
  get name() {
    return this.inner.name;
  }
  async send(n: Notification, signal: AbortSignal) {
    this.inFlight++;
    try {
      return await this.inner.send(n, signal);
    } finally {
      this.inFlight--;
    }
  }
}

const policy: RetryPolicy = {
  initialBackoffMs: 5_000,
  maxBackoffMs: 30_000,
  multiplier: 2,
  jitter: 0,
  fallbackAfterMs: 60_000,
  giveUpAfterMs: 3_600_000,
  attemptTimeoutMs: 15_000,
};

const available = await hfaxdAvailable();
if (!available.ok) t.skip(`hfaxd: ${available.reason}`, () => {});
else
  t.test('pager gateway down for 2 minutes: retried, falls back to email, every attempt recorded, nothing sent twice', async (t) => {
    const gateway = await startHfaxdSnpp();
    t.teardown(() => gateway.stop());
    const sink = await startSmtpSink();
    t.teardown(() => sink.stop());
    const snpp = new Watched(
      new SnppChannel({
        host: '127.0.0.1',
        port: gateway.port,
        login: { user: 'floorwatch' },
        hylafaxQueue: true,
        text: { maxLength: 80 },
      }),
    );
    const emailChannel = new EmailChannel({ host: '127.0.0.1', port: sink.port, from: 'floorwatch@floor.example', ignoreTLS: true });
    t.teardown(() => emailChannel.close());
    const email = new Watched(emailChannel);
    const clock = new FakeClock();
    const start = clock.now();
    const outboxFile = join(scratchDir(t), 'outbox.jsonl');
    const timeline: DeliveryEntry[] = [];
    const open = () => {
      const outbox = Outbox.open({ file: outboxFile, clock });
      return {
        outbox,
        dispatcher: new Dispatcher({ outbox, clock, policy, route: () => [snpp, email], onOutcome: (e) => timeline.push(e) }),
      };
    };
    const quiet = async () => {
      await new Promise((r) => setImmediate(r));
      await waitFor('sends in flight to finish', () => snpp.inFlight === 0 && email.inFlight === 0);
    };
    const advanceTo = async (ms: number) => {
      while (clock.now() - start < ms) {
        clock.advance(1_000);
        await quiet();
      }
    };

    await gateway.down();
    const first = open();
    t.equal(first.dispatcher.dispatch(sampleNotification()).status, 'enqueued');
    await quiet();
    await advanceTo(120_000);
    await first.dispatcher.idle();

    const brief = (e: DeliveryEntry) =>
      `${(e.at - start) / 1000}s ${e.type} ${e.type === 'attempt' ? `${e.channel}#${e.attempt} ${e.outcome} ${e.reason ?? ''}`.trim() : e.type === 'fallback' ? `${e.from}->${e.to}` : e.type === 'delivered' ? e.channel : e.why}`;
    t.same(timeline.map(brief), [
      '0s attempt snpp#1 failed unreachable',
      '5s attempt snpp#2 failed unreachable',
      '15s attempt snpp#3 failed unreachable',
      '35s attempt snpp#4 failed unreachable',
      '60s attempt snpp#5 failed unreachable',
      '60s fallback snpp->email',
      '60s attempt email#1 sent',
      '60s delivered email',
    ]);
    t.equal(sink.mails.length, 1, 'the page went out by email');
    t.equal(sink.mails[0]?.parsed.headers.get('x-floorwatch-incident'), 'INC-42');
    t.equal(first.outbox.stateOf('INC-42/0/page/alice'), 'sent');

    // The gateway is back at 2 minutes: the delivered page is not sent again, by retry or by replay.
    await gateway.up();
    await advanceTo(15 * 60_000);
    t.equal(first.dispatcher.dispatch(sampleNotification()).status, 'duplicate', 'the same key is refused');
    await first.dispatcher.close();
    first.outbox.close();
    const second = open();
    t.equal(second.dispatcher.replay(), 0, 'a restart finds nothing unsent');
    t.same(gateway.pages(), [], 'the pager never got the page the email delivered');
    t.equal(sink.mails.length, 1, 'and the mail went once');

    // The next escalation step goes by pager again, once.
    const before = timeline.length;
    t.equal(second.dispatcher.dispatch(sampleNotification({ escalationStep: 1 })).status, 'enqueued');
    await second.dispatcher.idle();
    t.same(timeline.slice(before).map(brief), ['900s attempt snpp#1 sent', '900s delivered snpp']);
    t.equal(gateway.pages().length, 1);
    t.equal(sink.mails.length, 1);
    await second.dispatcher.close();
    second.outbox.close();
  });
