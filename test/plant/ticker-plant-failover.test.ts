import t from 'tap';
import { killPrimaryMidStream } from '../helpers/plant-failover.js';
import { PlantHarness } from '../../plant/harness.js';

const COUNT = 6000;

t.test(
  'SIGKILL of the primary ticker plant mid-stream: the secondary takes over within 3 heartbeats and every desk still gets every feed seq exactly once, in order',
  async (t) => {
    const plant = await PlantHarness.create({
      rate: 2000,
      count: COUNT,
      subscribers: [{ id: 'ws-1' }, { id: 'ws-2' }, { id: 'ws-3', symbols: ['SYM03', 'SYM07', 'SYM11'] }],
    });
    t.teardown(() => plant.stopAll());
    const survivor = await killPrimaryMidStream(t, plant, 'tp', COUNT, {
      note: ', across the switch',
      // The kill's switch; a loaded box can add a false takeover at start-up (one more, still exactly once).
      check: (id, s) =>
        t.ok((s['stream_switches'] as number) >= 2, `${id} switched to the new primary's stream (${s['stream_switches']} switches)`),
    });
    const subset = await plant.procs.get('ws-3')!.stop();
    t.match(
      subset,
      { symbol_seq_breaks: 0, unexpected_symbols: 0, gaps_unrecoverable: 0 },
      'a desk with three symbols saw each symbol contiguous',
    );
    t.ok((subset['updates'] as number) > 0);
    const tp = await plant.procs.get(survivor)!.stop();
    t.ok((tp['replays'] as number) >= 3, `the new primary resumed every desk from its acknowledged position (${tp['replays']} replays)`);
  },
);
