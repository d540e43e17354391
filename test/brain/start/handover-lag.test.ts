/**
 * The ingest worker's share of the time the alerting thread did not hear agents (#15): measured
 * on one clock both threads read, never the worker's wall clock against the main thread's Clock.
 */
import t from 'tap';
import { processMonotonicMs } from '../../../lib/clock.js';
import { HandoverLag } from '../../../brain/start/handover-lag.js';

t.test('the delay is the time between the worker stamping a flush and this thread applying it, on the shared clock', async (t) => {
  let now = 1_000;
  const lag = new HandoverLag(() => now);
  lag.applied(900, 0);
  t.equal(lag.delayMs, 100);
  t.equal(lag.stalledMsNow(), 100, 'liveness discounts it');
  now = 2_000;
  lag.applied(1_995, 40);
  t.equal(lag.delayMs, 5, 'a delay that shrinks as the hand-over catches up counts back in');
  t.equal(lag.stalledMsNow(), 45, "plus the worker's own stalls");
  lag.applied(2_010, 40);
  t.equal(lag.delayMs, 0, 'never negative');
});

t.test('paused reading counts from the worker stamp, also while still paused', async (t) => {
  let now = 10_000;
  const lag = new HandoverLag(() => now);
  // The worker paused at 9,000; this thread hears of it late (at 10,000): the pause is 1 s already.
  lag.pressure(true, 9_000);
  t.equal(lag.stalledMsNow(), 1_000);
  lag.pressure(true, 9_500);
  now = 11_000;
  t.equal(lag.stalledMsNow(), 2_000, 'a repeated pause notice does not restart it');
  lag.pressure(false, 10_500);
  now = 20_000;
  t.equal(lag.stalledMsNow(), 1_500, 'resumed: the pause is what the worker stamped, 9.0 → 10.5 s');
});

t.test('processMonotonicMs is one clock for the worker and the main thread', async (t) => {
  const { Worker } = await import('node:worker_threads');
  const before = processMonotonicMs();
  const w = new Worker(
    'const { parentPort } = require("node:worker_threads"); parentPort.postMessage(Number(process.hrtime.bigint()) / 1e6);',
    {
      eval: true,
    },
  );
  const stamped = await new Promise<number>((resolve) => w.once('message', resolve));
  const after = processMonotonicMs();
  await w.terminate();
  t.ok(before <= stamped && stamped <= after, `the worker's stamp ${stamped} lies between the main thread's ${before} and ${after}`);
});
