import t, { type Test } from 'tap';
import { waitFor } from '../helpers/wait.js';
import { PlantHarness } from '../../plant/harness.js';

/**
 * A member killed and restarted comes back mid-stream. The feed it missed while dead was
 * never owed to it: it must resync from the current position, not report the dead period as
 * an unrecoverable gap (the brain would open a spurious PlantSequenceGapsUnrecoverable
 * incident). The rings are small (512 datagrams) so the sender no longer holds the whole
 * join backlog the restarted member asks for — the case that used to be counted as loss.
 */
async function killAndRestart(t: Test, pair: 'fh' | 'tp'): Promise<void> {
  const plant = await PlantHarness.create({ rate: 2000, extra: { delivery: { ring_datagrams: 512 } } });
  t.teardown(() => plant.stopAll());
  await plant.startDistribution();
  plant.startProvider();
  await waitFor('the feed to be well past one ring', () => (plant.hb('ws-1')?.seq ?? 0) > 4000, {
    timeoutMs: 30_000,
    progress: () => plant.hb('ws-1')?.seq,
  });
  const victim = plant.primary(pair)!.component;
  plant.kill(victim);
  await plant.procs.get(victim)!.exited;
  const deadFrom = plant.hb('ws-1')?.seq ?? 0;
  await waitFor('the feed to move on while the victim is dead', () => (plant.hb('ws-1')?.seq ?? 0) > deadFrom + 3000, {
    timeoutMs: 30_000,
    progress: () => plant.hb('ws-1')?.seq,
  });
  // What the kill itself cost (counted, if the takeover could not replay everything) is not at issue here.
  const others = ['fh-a', 'fh-b', 'tp-a', 'tp-b', 'ws-1', 'ws-2'].filter((id) => id !== victim);
  const unrecoverableBefore = new Map(others.map((id) => [id, plant.hb(id)?.gaps.unrecoverable]));
  plant.start(victim, [pair === 'fh' ? 'feed-handler' : 'ticker-plant', '--id', victim]);
  const back = await waitFor(
    `${victim} back as secondary and caught up`,
    () => {
      const hb = plant.hb(victim);
      return hb?.role === 'secondary' && hb.seq >= (plant.hb('ws-1')?.seq ?? Infinity) ? hb : undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.same(
    back.gaps,
    { ...back.gaps, unrecoverable: 0, unrecoverable_records: 0 },
    `${victim} reports no unrecoverable gap after rejoining: ${JSON.stringify(back.gaps)}`,
  );
  t.equal(back.state, 'ok', `${victim} is healthy`);

  const summary = await plant.procs.get(victim)!.stop();
  const receiver = summary['receiver'] as Record<string, number>;
  t.comment(`${victim}: ${JSON.stringify(receiver)}`);
  t.ok(receiver['joinSkipped']! > 0, 'the feed it missed while dead is counted as skipped at the join');
  t.equal(receiver['gapsUnrecoverable'], 0, 'no unrecoverable gap');
  const latency = summary['latency_us'] as Record<string, number>;
  t.ok(
    latency['count']! < receiver['deliveredRecords']!,
    `the backlog's age is not counted as latency (${latency['count']} of ${receiver['deliveredRecords']} records measured)`,
  );
  for (const id of others)
    t.equal(plant.hb(id)?.gaps.unrecoverable, unrecoverableBefore.get(id), `${id} reports no new unrecoverable gap from the rejoin`);
}

t.test('a feed handler killed and restarted rejoins with zero unrecoverable gaps', (t) => killAndRestart(t, 'fh'));
t.test('a ticker plant killed and restarted rejoins with zero unrecoverable gaps', (t) => killAndRestart(t, 'tp'));
