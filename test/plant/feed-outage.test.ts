import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

t.test('both feed handlers down: desks report their symbols stale and the ticker plants say the feed is stale', async (t) => {
  const plant = await PlantHarness.create({ rate: 1000, extra: { stale_after_ms: 500 } });
  t.teardown(() => plant.stopAll());
  await plant.startDistribution();
  plant.startProvider();
  await waitFor('live data at the desks', () => ['ws-1', 'ws-2'].every((id) => plant.hb(id)?.state === 'ok'), {
    timeoutMs: 20_000,
    progress: () => ['ws-1', 'ws-2'].map((id) => [plant.hb(id)?.state, plant.hb(id)?.seq]),
  });

  plant.kill('fh-a');
  plant.kill('fh-b');
  const lost = await waitFor('the health listener to lose both feed handlers', () =>
    ['fh-a', 'fh-b'].every((id) => plant.health.get(id)?.lost),
  );
  t.ok(lost);
  const desk = await waitFor('desks to go stale', () => {
    const hb = plant.hb('ws-1');
    return hb?.state === 'stale' ? hb : undefined;
  });
  t.equal(desk.stale_symbols, 20, 'every symbol the desk watches is stale');
  t.match(desk.reason, /stale/);
  const tp = plant.primary('tp')!;
  t.equal(tp.state, 'stale', 'the primary ticker plant reports stale');
  t.match(tp.reason, /no data from any feed handler/);
});
