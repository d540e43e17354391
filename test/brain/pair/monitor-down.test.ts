/**
 * The whole monitor down (brain/pair/monitor-down.ts): both brains unheard → the witness pages
 * once through a real SNPP gateway (hfaxd); down while the gateway is down → tried again until it
 * goes, still once; a brain heard again → one "back" page. Heard ages on a fake clock.
 */
import t from 'tap';
import { sendPage } from '../../../brain/channels/snpp.js';
import { MonitorDownWatch } from '../../../brain/pair/monitor-down.js';
import { FakeClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/log.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../../helpers/snpp-hfaxd.js';

const available = await hfaxdAvailable();
if (!available.ok) t.skip(`hfaxd: ${available.reason}`, () => {});
else {
  const gateway = await startHfaxdSnpp();
  t.teardown(() => gateway.stop());

  t.test('both brains unheard: one DOWN page (retried through a gateway outage), one BACK page when a brain returns', async (t) => {
    const clock = new FakeClock(Date.UTC(2026, 11, 7, 9, 30));
    const lastHeard = new Map<string, number>([
      ['brain-a', clock.monotonic()],
      ['brain-b', clock.monotonic()],
    ]);
    const watch = new MonitorDownWatch({
      clock,
      log: silentLogger,
      brains: ['brain-a', 'brain-b'],
      heardMsAgo: (id) => (lastHeard.has(id) ? clock.monotonic() - lastHeard.get(id)! : undefined),
      afterMs: 5_000,
      page: (message) =>
        sendPage(
          { host: '127.0.0.1', port: gateway.port, login: { user: 'floorwatch' }, hylafaxQueue: true },
          { pagerId: 'oncall-ldn', message },
          AbortSignal.timeout(10_000),
        ),
    });
    const downPages = () => gateway.pages().filter((p) => p.text.startsWith('FLOORWATCH DOWN'));
    const backPages = () => gateway.pages().filter((p) => p.text.startsWith('FLOORWATCH BACK'));

    clock.advance(4_000);
    lastHeard.set('brain-b', clock.monotonic()); // one leg down is the brains' own PairLegDown, not this
    clock.advance(2_000);
    await watch.check();
    t.equal(watch.state, 'up', 'one brain still heard: up');
    t.equal(downPages().length, 0, 'no page while one brain is heard');

    await gateway.down();
    clock.advance(4_000); // brain-a silent 10 s, brain-b 6 s
    await watch.check();
    t.equal(watch.state, 'down');
    t.equal(watch.pageFailures, 1, 'the gateway is down: the page failed');
    await gateway.up();
    await watch.check();
    await watch.check();
    t.equal(
      downPages().length,
      1,
      `one DOWN page once the gateway is back: ${JSON.stringify(gateway.pages())} (failures ${watch.pageFailures}, sent ${watch.pagesSent})`,
    );
    t.match(downPages()[0]!.text, /^FLOORWATCH DOWN: brain-a, brain-b unheard 6s at 09:30:1\d UTC; floor unmonitored$/);

    lastHeard.set('brain-a', clock.monotonic());
    await watch.check();
    await watch.check();
    t.equal(watch.state, 'up');
    t.equal(backPages().length, 1, 'one BACK page');
    t.equal(downPages().length, 1, 'still one DOWN page');
  });

  t.test('a witness that never heard a brain counts from its own start', async (t) => {
    const clock = new FakeClock();
    const texts: string[] = [];
    const watch = new MonitorDownWatch({
      clock,
      log: silentLogger,
      brains: ['brain-a', 'brain-b'],
      heardMsAgo: () => undefined,
      afterMs: 5_000,
      page: async (text) => (texts.push(text), { status: 'sent', detail: 'ok' }),
    });
    clock.advance(4_999);
    await watch.check();
    t.same(texts, [], 'not before after_ms');
    clock.advance(1);
    await watch.check();
    await watch.check();
    t.equal(texts.length, 1, `once: ${texts.join(' | ')}`);
  });
}
