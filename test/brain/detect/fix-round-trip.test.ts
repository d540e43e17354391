import t from 'tap';
import { FixRoundTripSlow } from '../../../brain/detect/fix-round-trip.js';
import type { FixRoundTripConfig } from '../../../brain/detect/config.js';
import { Feed } from './series-feed.js';
import { roundTrips, steady } from './recordings.js';

const config: FixRoundTripConfig = {
  enabled: true,
  rules: [],
  baseline_samples: 20,
  min_baseline_samples: 5,
  factor: 3,
  floor_us: 50_000,
  for_ms: 10_000,
  forget_after_ms: 300_000,
  severity: 'major',
};
const RULE = 'fix_testrequest_rtt';

t.test(
  'round trips of 2 ms, then 180 ms for 15 s: fires after the for-duration with session labels; one normal round trip resolves it',
  async (t) => {
    const feed = new Feed([new FixRoundTripSlow(config)]);
    feed.play('fixgw-1', roundTrips(RULE, [...steady(1_000, 10, 1_000, 2_000), ...steady(11_000, 15, 1_000, 180_000)]));
    const firing = feed.alerts('FixRoundTripSlow').filter((e) => e.kind === 'alert.firing');
    t.equal(firing.length, 1);
    const e = firing[0]!;
    t.same(
      { alertname: e.tags['alertname'], agent: e.tags['agent'], host: e.tags['host'], session: e.tags['session'], file: e.tags['file'] },
      { alertname: 'FixRoundTripSlow', agent: 'fixgw-1', host: 'fixgw-1', session: RULE, file: '/var/log/fixgw/session-lse.log' },
    );
    const slowAt = feed.start + 11_000;
    const at = Math.round(e.timeUs / 1000);
    t.ok(at >= slowAt + 10_000 && at <= slowAt + 10_500, `fired ${at - slowAt} ms after the first slow round trip`);
    t.equal(
      Number(e.attrs['baseline_us']) > 1_500 && Number(e.attrs['baseline_us']) < 2_500,
      true,
      `baseline ${e.attrs['baseline_us']} µs`,
    );
    t.equal(e.attrs['limit_us'], '50000', 'the floor beats 3 × a 2 ms baseline');
    t.match(e.attrs['summary'], /FIX round trip fix_testrequest_rtt on fixgw-1: 1\d\d\.\d ms against a baseline of \d\.\d ms/);

    feed.play('fixgw-1', roundTrips(RULE, [{ at: 27_000, rttUs: 2_100 }]));
    feed.idle(500);
    t.same(
      feed.alerts('FixRoundTripSlow').map((e) => e.kind),
      ['alert.firing', 'alert.resolved'],
    );
  },
);

t.test('a session that starts slow has no baseline yet: it learns, it does not fire', async (t) => {
  const feed = new Feed([new FixRoundTripSlow(config)]);
  feed.play('fixgw-1', roundTrips(RULE, steady(1_000, 30, 1_000, 300_000)));
  feed.idle(1_000);
  t.equal(feed.alerts().length, 0);
});

t.test('a single slow round trip is shorter than the for-duration', async (t) => {
  const feed = new Feed([new FixRoundTripSlow(config)]);
  feed.play(
    'fixgw-1',
    roundTrips(RULE, [...steady(1_000, 10, 1_000, 2_000), { at: 11_000, rttUs: 400_000 }, ...steady(12_000, 20, 1_000, 2_000)]),
  );
  t.equal(feed.alerts().length, 0);
});

t.test('ten times the baseline but under the absolute floor is not slow', async (t) => {
  const feed = new Feed([new FixRoundTripSlow(config)]);
  feed.play('fixgw-1', roundTrips(RULE, [...steady(1_000, 10, 1_000, 1_000), ...steady(11_000, 20, 1_000, 10_000)]));
  t.equal(feed.alerts().length, 0);
});

t.test('a long slowdown does not become the baseline; round trips that stop are forgotten and resolve', async (t) => {
  const feed = new Feed([new FixRoundTripSlow({ ...config, forget_after_ms: 30_000 })]);
  feed.play('fixgw-1', roundTrips(RULE, [...steady(1_000, 10, 1_000, 2_000), ...steady(11_000, 60, 1_000, 120_000)]));
  t.same(
    feed.alerts().map((e) => e.kind),
    ['alert.firing'],
    'still firing after 60 slow round trips',
  );
  feed.idle(31_000);
  t.same(
    feed.alerts().map((e) => e.kind),
    ['alert.firing', 'alert.resolved'],
  );
});

t.test('only the configured roundtrip rules are FIX sessions', async (t) => {
  const feed = new Feed([new FixRoundTripSlow({ ...config, rules: ['other_rule'] })]);
  feed.play('fixgw-1', roundTrips(RULE, [...steady(1_000, 10, 1_000, 2_000), ...steady(11_000, 15, 1_000, 180_000)]));
  t.equal(feed.alerts().length, 0);
});
