import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

t.test('a desk that joins late gets the current value of every symbol it asked for before any update', async (t) => {
  const asked = ['SYM02', 'SYM05', 'SYM09', 'SYM13', 'SYM20'];
  const plant = await PlantHarness.create({ rate: 1000, subscribers: [{ id: 'ws-1' }, { id: 'ws-late', symbols: asked }] });
  t.teardown(() => plant.stopAll());
  for (const id of ['tp-a', 'tp-b']) plant.start(id, ['ticker-plant', '--id', id]);
  for (const id of ['fh-a', 'fh-b']) plant.start(id, ['feed-handler', '--id', id]);
  plant.startProvider();
  await waitFor('the primary ticker plant to hold every symbol', () => plant.primary('tp')?.counters['cache_symbols'] === 20, {
    timeoutMs: 20_000,
    progress: () => [plant.primary('tp')?.counters['cache_symbols'], plant.hb('ws-1')?.seq],
  });

  const late = plant.start('ws-late', ['subscriber', '--id', 'ws-late']);
  await waitFor('updates after the snapshot', () => (plant.hb('ws-late')?.counters['updates'] ?? 0) > 100, {
    timeoutMs: 20_000,
    progress: () => plant.hb('ws-late')?.counters['updates'],
  });
  const s = await late.stop();
  t.match(s, {
    snapshot_records: asked.length,
    updates_before_snapshot: 0,
    symbol_seq_breaks: 0,
    unexpected_symbols: 0,
    gaps_unrecoverable: 0,
  });
});
