import t from 'tap';
import { killPrimaryMidStream } from '../helpers/plant-failover.js';
import { PlantHarness } from '../../plant/harness.js';

const COUNT = 6000;

t.test(
  'SIGKILL of the primary feed handler mid-stream: the secondary takes over within 3 heartbeats and every desk gets every feed seq exactly once, in order',
  async (t) => {
    const plant = await PlantHarness.create({ rate: 2000, count: COUNT });
    t.teardown(() => plant.stopAll());
    const survivor = await killPrimaryMidStream(t, plant, 'fh', COUNT, { note: '' });
    const fh = await plant.procs.get(survivor)!.stop();
    t.ok((fh['replayed'] as number) > 0, 'the new primary re-broadcast what it received since the last heartbeat');
  },
);
