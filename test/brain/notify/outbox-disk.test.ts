/**
 * The outbox on a full or failing disk (issue #13 item 7): a page must not need that disk. The
 * notification is taken in memory (durable: false), delivered directly, and the file is
 * rewritten from memory once the disk works, so a restart after that still knows what was sent.
 */
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { DiskHealth } from '../../../lib/disk-health.js';
import { sent, type Channel } from '../../../brain/channels/channel.js';
import { Dispatcher } from '../../../brain/notify/dispatcher.js';
import { Outbox } from '../../../brain/notify/outbox.js';
import { defaultRetryPolicy } from '../../../brain/notify/retry.js';
import type { Notification } from '../../../brain/channels/notification.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { FaultyFs, faults } from '../../helpers/faulty-fs.js';
import { waitFor } from '../../helpers/wait.js';
import { sampleNotification } from './sample-notification.js';

function setup(t: Parameters<typeof scratchDir>[0]) {
  const file = join(scratchDir(t), 'outbox.jsonl');
  const clock = new FakeClock();
  const faulty = new FaultyFs();
  const health = new DiskHealth('outbox', clock);
  const outbox = Outbox.open({ file, clock, health, fs: faulty.fs });
  t.teardown(() => outbox.close());
  return { file, clock, faulty, health, outbox };
}

t.test('ENOSPC: enqueue takes the notification in memory and says it is not durable; the file catches up', async (t) => {
  const { file, clock, faulty, health, outbox } = setup(t);
  t.match(outbox.enqueue(sampleNotification({ escalationStep: 0 })), { status: 'enqueued', durable: true });
  faulty.fail(faults.diskFull);
  const r = outbox.enqueue(sampleNotification({ escalationStep: 1 }));
  t.match(r, { status: 'enqueued', durable: false }, 'taken, not durable');
  t.equal(health.fault?.code, 'ENOSPC');
  t.match(
    outbox.enqueue(sampleNotification({ escalationStep: 1 })),
    { status: 'duplicate', state: 'pending' },
    'still deduplicated in memory',
  );
  outbox.markSent('INC-42/1/page/alice', 'snpp');
  t.equal(outbox.stateOf('INC-42/1/page/alice'), 'sent');
  faulty.heal();
  clock.advance(20_000);
  t.notOk(health.failing, 'rewritten');
  const reopened = Outbox.open({ file, clock });
  t.equal(reopened.stateOf('INC-42/1/page/alice'), 'sent', 'a restart knows the page held in memory was sent');
  t.equal(reopened.stateOf('INC-42/0/page/alice'), 'pending');
  reopened.close();
  t.equal(statSync(file).mode & 0o777, 0o600, 'the outbox (addresses, pager ids) is 0600');
});

t.test('a failed fsync makes the record not durable; the retry rewrites instead of re-syncing', async (t) => {
  const { file, clock, faulty, health, outbox } = setup(t);
  faulty.fail(faults.syncError);
  t.match(outbox.enqueue(sampleNotification()), { status: 'enqueued', durable: false });
  faulty.heal();
  const before = faulty.synced.length;
  clock.advance(20_000);
  t.notOk(health.failing);
  t.ok(
    faulty.synced.slice(before).some((s) => s.startsWith(`fsyncSync ${file}.tmp`)),
    'rewritten through a temp file',
  );
  t.match(readFileSync(file, 'utf8'), /"t":"enq"/);
});

t.test('the dispatcher delivers what the outbox could not make durable, and reports it', async (t) => {
  const { faulty, outbox, clock } = setup(t);
  const delivered: string[] = [];
  const channel: Channel = {
    name: 'snpp',
    send: async (n: Notification) => (delivered.push(`${n.incidentId}/${n.escalationStep}`), sent('250 ok')),
  };
  const notDurable: string[] = [];
  const dispatcher = new Dispatcher({
    outbox,
    clock,
    policy: defaultRetryPolicy,
    route: () => [channel],
    onOutcome: () => {},
    onNotDurable: (e) => notDurable.push(e.key),
  });
  faulty.fail(faults.ioError);
  dispatcher.dispatch(sampleNotification());
  await waitFor('the page to be delivered', () => delivered.length > 0);
  await dispatcher.idle();
  t.same(delivered, ['INC-42/0'], 'delivered without the disk');
  t.same(notDurable, ['INC-42/0/page/alice'], 'and reported as not durable (the timeline says so)');
  t.equal(outbox.stateOf('INC-42/0/page/alice'), 'sent');
});
