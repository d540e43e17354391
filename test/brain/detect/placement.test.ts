/**
 * The detectors' alerts through the real EventLog into the real Correlator: a flush storm is a
 * host-level cause of its own, a slow FIX round trip a symptom of a NIC down on its host.
 */
import t from 'tap';
import { parseBrainConfig } from '../../../brain/config.js';
import { createDetectors } from '../../../brain/detect/index.js';
import { floor, fire, L } from '../correlate/replay.js';
import { Feed } from './series-feed.js';
import { flushRecording, periodic, roundTrips, steady } from './recordings.js';

const GiB = 1024 ** 3;
const detectors = () =>
  createDetectors(parseBrainConfig('detectors: { dirty_flush: { window_ms: 120000 }, fix_round_trip: { for_ms: 5000 } }').detectors);
const byId = <T extends { id: string }>(l: T[]) => [...l].sort((a, b) => a.id.localeCompare(b.id));
const fixSlow = (from: number) => roundTrips('fix_lse', [...steady(from, 10, 1_000, 2_000), ...steady(from + 10_000, 10, 1_000, 150_000)]);

t.test('FIX slow on a host whose NIC is down is a symptom of the NIC incident', async (t) => {
  const f = floor();
  const feed = new Feed(detectors(), { clock: f.clock, events: f.events });
  f.replay([fire(500, 'NicLinkDown', L.nic('tp-host-a', 'eth1'))]);
  feed.play('tp-host-a', fixSlow(1_000));
  const incidents = f.store.list();
  t.equal(incidents.length, 1);
  t.equal(incidents[0]!.title, 'NIC eth1 down on tp-host-a');
  t.same(
    incidents[0]!.symptoms.map((s) => s.alertname),
    ['FixRoundTripSlow'],
  );
  t.match(incidents[0]!.symptoms[0]!.text, /FIX round trip fix_lse on tp-host-a: 1\d\d\.\d ms against a baseline of 2\.\d ms/);
});

t.test('FIX slow on its own is its own incident', async (t) => {
  const f = floor();
  const feed = new Feed(detectors(), { clock: f.clock, events: f.events });
  f.replay([fire(500, 'NicLinkDown', L.nic('tp-host-b', 'eth1'))]);
  feed.play('tp-host-a', fixSlow(1_000));
  t.same(
    byId(f.store.list()).map((i) => i.roots.map((r) => r.alertname)),
    [['NicLinkDown'], ['FixRoundTripSlow']],
  );
});

t.test("a flush storm is its host's cause: other alerts of its host attach; a NIC down there does not swallow it", async (t) => {
  const f = floor();
  const feed = new Feed(detectors(), { clock: f.clock, events: f.events });
  const peaks = periodic(15_000, 4);
  feed.play('tp-host-a', flushRecording({ peaksAt: peaks, peakBytes: 1.4 * GiB, untilMs: peaks.at(-1)! + 3_000 }));
  const [storm] = f.store.list();
  t.equal(storm?.roots[0]?.alertname, 'DirtyMemoryFlushStorm');
  t.match(
    storm!.title,
    /^dirty memory flush storm on tp-host-a: every 15\.0 s dirty memory rises to 1434 MiB \(70% of the dirty threshold\)/,
  );
  f.replay([
    fire(peaks.at(-1)! + 4_000, 'LogErrors', { agent: 'tp-host-a', host: 'tp-host-a', level: 'ERROR' }),
    fire(peaks.at(-1)! + 5_000, 'NicLinkDown', L.nic('tp-host-a', 'eth1')),
  ]);
  const list = byId(f.store.list());
  t.equal(list.length, 2, 'the storm and the NIC are two causes');
  t.same(
    list[0]!.symptoms.map((s) => s.alertname),
    ['LogErrors'],
  );
  t.equal(list[1]!.title, 'NIC eth1 down on tp-host-a');
});

t.test('detector parameters are validated with the brain config, file:line:field', async (t) => {
  t.throws(
    () => parseBrainConfig('detectors:\n  dirty_flush:\n    storm_share: 1.5\n', 'brain.yaml'),
    /brain\.yaml:3: detectors\.dirty_flush\.storm_share: must be <= 1/,
  );
  t.throws(
    () => parseBrainConfig('detectors:\n  fix_round_trip:\n    factr: 3\n', 'brain.yaml'),
    /brain\.yaml:3: detectors\.fix_round_trip\.factr: unknown field/,
  );
  const d = parseBrainConfig('').detectors;
  t.same([d.check_every_ms, d.dirty_flush.storm_share, d.fix_round_trip.factor, d.fix_round_trip.floor_us], [250, 0.5, 3, 50_000]);
});
