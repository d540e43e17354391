import t from 'tap';
import { CycleScanner, DirtyMemoryFlushPattern, regularPattern } from '../../../brain/detect/dirty-flush.js';
import type { DirtyFlushConfig } from '../../../brain/detect/config.js';
import { Feed } from './series-feed.js';
import { flushRecording, periodic } from './recordings.js';

const GiB = 1024 ** 3;
const config: DirtyFlushConfig = {
  enabled: true,
  window_ms: 120_000,
  min_cycles: 3,
  min_peak_bytes: 16 * 1024 * 1024,
  drain_share: 0.5,
  burst_share: 0.5,
  drain_slack_ms: 2_000,
  max_period_jitter: 0.35,
  storm_share: 0.5,
  severity: 'major',
};

t.test(
  'a dirty jump drained by a write burst every 15 s, peaking at 60% of the threshold, is a flush storm with its period and peak',
  async (t) => {
    const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
    const peaks = periodic(15_000, 6);
    feed.play('tp-host-a', flushRecording({ peaksAt: peaks, peakBytes: 1.2 * GiB, untilMs: peaks.at(-1)! + 5_000 }));
    const firing = feed.alerts('DirtyMemoryFlushStorm').filter((e) => e.kind === 'alert.firing');
    t.equal(firing.length, 1, 'fires once');
    const e = firing[0]!;
    t.equal(e.tags['agent'], 'tp-host-a');
    t.equal(e.tags['host'], 'tp-host-a');
    t.equal(e.attrs['period_ms'], '15000');
    t.equal(Number(e.attrs['peak_bytes']), Math.round(1.2 * GiB));
    t.equal(e.attrs['peak_share'], '0.600');
    t.equal(e.attrs['severity'], 'major');
    t.match(e.attrs['summary'], /every 15\.0 s dirty memory rises to 1229 MiB \(60% of the dirty threshold\)/);
    // The third drain (peak 3 + ~1 s) confirms the pattern; not before.
    const third = feed.start + peaks[2]! + 1_000;
    t.ok(
      Math.round(e.timeUs / 1000) >= third && Math.round(e.timeUs / 1000) <= third + 3_000,
      `fired after the third drain (${Math.round(e.timeUs / 1000) - third} ms)`,
    );

    t.equal(
      feed.alerts('DirtyMemoryFlushStorm').filter((e) => e.kind === 'alert.resolved').length,
      0,
      'still firing right after the last cycle',
    );
    // The cycles stop: two periods without a drain and the pattern has gone away.
    feed.play(
      'tp-host-a',
      flushRecording({ peaksAt: [], peakBytes: 0, untilMs: peaks.at(-1)! + 40_000 }).filter(
        (s) => s.at > peaks.at(-1)! + 5_000 && s.measurement === 'memory',
      ),
    );
    const resolved = feed.alerts('DirtyMemoryFlushStorm').filter((e) => e.kind === 'alert.resolved');
    t.equal(resolved.length, 1, 'resolves when the flushes stop');
    t.ok(Math.round(resolved[0]!.timeUs / 1000) - (feed.start + peaks.at(-1)!) <= 31_000, 'within two periods (+1 s) of the last peak');
  },
);

t.test('one big flush is not a pattern', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  feed.play('tp-host-a', flushRecording({ peaksAt: [10_000], peakBytes: 1.9 * GiB, untilMs: 60_000 }));
  t.equal(feed.alerts().length, 0);
});

t.test('two flushes are not yet a pattern (min_cycles 3)', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  feed.play('tp-host-a', flushRecording({ peaksAt: periodic(15_000, 2), peakBytes: 1.9 * GiB, untilMs: 60_000 }));
  t.equal(feed.alerts().length, 0);
});

t.test('a regular flush pattern well below the dirty threshold is a pattern but not a storm', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  feed.play('tp-host-a', flushRecording({ peaksAt: periodic(15_000, 6), peakBytes: 0.3 * GiB, untilMs: 100_000 }));
  t.equal(feed.alerts().length, 0);
});

t.test('dirty memory that vanishes without a write burst (files deleted, pages dropped) is no flush', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  feed.play('tp-host-a', flushRecording({ peaksAt: periodic(15_000, 6), peakBytes: 1.5 * GiB, writtenShare: 0.05, untilMs: 100_000 }));
  t.equal(feed.alerts().length, 0);
});

t.test('irregular flushes are no periodic pattern', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  feed.play('tp-host-a', flushRecording({ peaksAt: [10_000, 17_000, 45_000, 52_000, 95_000], peakBytes: 1.5 * GiB, untilMs: 100_000 }));
  t.equal(feed.alerts().length, 0);
});

t.test('hosts are judged apart: a storm on one host says nothing about another', async (t) => {
  const feed = new Feed([new DirtyMemoryFlushPattern(config)]);
  const storm = flushRecording({ peaksAt: periodic(15_000, 5), peakBytes: 1.2 * GiB, untilMs: 80_000 });
  const calm = flushRecording({ peaksAt: [], peakBytes: 0, untilMs: 80_000 });
  const both = [...storm.map((s) => ({ ...s, host: 'tp-host-a' })), ...calm.map((s) => ({ ...s, host: 'tp-host-b' }))].sort(
    (a, b) => a.at - b.at,
  );
  for (const s of both) feed.play(s.host, [s]);
  t.same(
    feed.alerts().map((e) => e.tags['agent']),
    ['tp-host-a'],
  );
});

t.test('cycle and period arithmetic', async (t) => {
  const pts = [0, 100, 200, 50, 60, 250, 10].map((v, i) => ({ t: i * 1000, v }));
  const flushCycles = (minPeak: number) => {
    const scanner = new CycleScanner(minPeak, 0.5);
    return pts.map((p) => scanner.push(p)).filter((c) => c !== undefined);
  };
  t.same(flushCycles(100), [
    { peakAt: 2000, peak: 200, drainedAt: 3000, trough: 50 },
    { peakAt: 5000, peak: 250, drainedAt: 6000, trough: 10 },
  ]);
  t.same(flushCycles(300), [], 'peaks under min_peak_bytes are noise');
  const cyc = (at: number) => ({ peakAt: at, peak: 1, drainedAt: at + 1, trough: 0 });
  t.same(regularPattern([0, 10_000, 20_500, 30_000].map(cyc), 3, 0.35), { periodMs: 10_000, cycles: 4 });
  t.equal(regularPattern([0, 10_000].map(cyc), 3, 0.35), undefined);
  t.equal(
    regularPattern([10_000, 17_000, 45_000, 52_000].map(cyc), 3, 0.35),
    undefined,
    'two regular intervals split by an odd one are no run',
  );
  t.same(
    regularPattern([0, 3_000, 20_000, 30_000, 40_000].map(cyc), 3, 0.35),
    { periodMs: 10_000, cycles: 3 },
    'the newest regular run counts',
  );
});
