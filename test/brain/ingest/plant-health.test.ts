/**
 * The brain watches the real plant's health heartbeats: a killed primary feed handler shows as
 * heartbeat loss plus a role change (fail-over) of its peer; both feed handlers down shows as
 * stale desks. Real plant processes, real UDP on loopback.
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { PlantHarness } from '../../../plant/harness.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('the brain sees plant heartbeat loss, fail-over and stale desks', async (t) => {
  const dir = scratchDir(t);
  const healthPort = await freeUdpPort();
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\nplant: {health_listen: "127.0.0.1:${healthPort}"}\n`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const plant = await PlantHarness.create({ rate: 1000 });
  t.teardown(() => plant.stopAll());
  // Every component reports to the harness and to the brain.
  const health = plant.config['health'] as { targets: string[] };
  plant.config['health'] = { targets: [...health.targets, `127.0.0.1:${healthPort}`] };
  writeFileSync(plant.file, stringify(plant.config));
  await plant.startDistribution();
  plant.startProvider();

  await waitFor('the brain to hold plant series', () => [...brain.series.select({ measurement: 'plant', field: 'primary' })].length >= 6);
  const primary = plant.primary('fh')!.component;
  const survivor = primary === 'fh-a' ? 'fh-b' : 'fh-a';
  const lastSeq = () =>
    [...brain.series.select({ measurement: 'plant', field: 'seq' })].find((s) => s.tags['component'] === 'ws-1')?.last ?? 0;
  await waitFor('desk ws-1 to be receiving', () => lastSeq() > 100);

  plant.kill(primary);
  const lost = await waitFor('heartbeat loss of the killed primary', () =>
    brain.events.recent({ kind: 'plant.heartbeat_lost' }).find((e) => e.tags['component'] === primary),
  );
  t.equal(lost.severity, 3, 'heartbeat loss is major');
  const failover = await waitFor('the survivor to become primary', () =>
    brain.events.recent({ kind: 'plant.role_change' }).find((e) => e.tags['component'] === survivor && e.attrs['to'] === 'primary'),
  );
  t.equal(failover.attrs['from'], 'secondary');
  t.equal(failover.tags['pair'], 'fh', 'the event names the pair');

  plant.kill(survivor);
  const stale = await waitFor(
    'desks to go stale with both feed handlers down',
    () => brain.events.recent({ kind: 'plant.state' }).find((e) => e.tags['kind'] === 'subscriber' && e.attrs['state'] === 'stale'),
    { timeoutMs: 15_000 },
  );
  t.ok(stale.values['stale_symbols']! > 0, `stale symbols reported (${stale.values['stale_symbols']})`);
});
