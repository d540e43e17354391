import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

const COUNT = 5000;

t.test('dropping a fraction of datagrams at every sender is repaired by retransmission: no unrecoverable gap', async (t) => {
  const plant = await PlantHarness.create({ rate: 2000, count: COUNT });
  t.teardown(() => plant.stopAll());
  const drop = ['--drop-fraction', '0.1'];
  await plant.startDistribution({ 'fh-a': drop, 'fh-b': drop, 'tp-a': drop, 'tp-b': drop });
  plant.startProvider(drop);

  await waitFor('every desk to reach the last feed seq', () => ['ws-1', 'ws-2'].every((id) => plant.hb(id)?.seq === COUNT), {
    timeoutMs: 20_000,
    progress: () => ['ws-1', 'ws-2'].map((id) => plant.hb(id)?.seq),
  });
  const tp = plant.primary('tp')!;
  t.ok(tp.counters['injected_drops']! > 0, `the ticker plant dropped ${tp.counters['injected_drops']} datagrams on purpose`);
  t.ok(tp.gaps.detected > 0 && tp.gaps.unrecoverable === 0, 'the ticker plant saw feed gaps and recovered them all');
  for (const id of ['ws-1', 'ws-2']) {
    const s = await plant.procs.get(id)!.stop();
    t.ok((s['gaps_detected'] as number) > 0, `${id} detected ${String(s['gaps_detected'])} gaps`);
    t.match(
      s,
      { updates: COUNT, gaps_unrecoverable: 0, unrecoverable_records: 0, feed_seq_breaks: 0, symbol_seq_breaks: 0 },
      `${id} recovered every gap`,
    );
  }
});
