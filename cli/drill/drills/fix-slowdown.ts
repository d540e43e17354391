import { appendFileSync } from 'node:fs';
import { hasAlert, needsDemo, type Drill } from '../drill.js';

const NORMAL_RTT_MS = 2;
const BASELINE_PAIRS = 8;
const EVERY_MS = 400;
/** Each slow round trip is this much slower than the one before: a gateway falling behind. */
const SLOWDOWN_STEP_MS = 40;
const FIRST_SLOW_MS = 150;

/**
 * A FIX session slows down: TestRequest (35=1) → Heartbeat (35=0) round trips in the fixture
 * host's FIX log grow from 2 ms to hundreds of ms, one pair every 400 ms, until restored.
 */
export const fixSlowdown: Drill = {
  name: 'fix-slowdown',
  what: "FIX TestRequest/Heartbeat round trips growing in the demo's watched FIX log",
  expected: {
    describe: 'FixRoundTripSlow on the fixture host',
    matches: hasAlert('FixRoundTripSlow'),
  },
  unavailable: needsDemo('its watched FIX log'),
  async inject(ctx) {
    const file = ctx.demo!.logs.fix;
    let seq = 0;
    const pair = (rttMs: number) => {
      seq++;
      const now = Date.now();
      const id = `DRILL-${now}-${seq}`;
      appendFileSync(file, `${fixTime(now - rttMs)} 8=FIX.4.4|9=60|35=1|49=FWGW|56=VENUE|34=${seq}|112=${id}|10=000|\n${fixTime(now)} 8=FIX.4.4|9=60|35=0|49=VENUE|56=FWGW|34=${seq}|112=${id}|10=000|\n`);
    };
    // A baseline of normal round trips first, so the slowdown has something to be slow against.
    for (let i = 0; i < BASELINE_PAIRS; i++) {
      pair(NORMAL_RTT_MS);
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    ctx.step(`${BASELINE_PAIRS} normal round trips (${NORMAL_RTT_MS} ms) written`);
    let rtt = FIRST_SLOW_MS;
    const timer = setInterval(() => {
      pair(rtt);
      rtt += SLOWDOWN_STEP_MS;
    }, EVERY_MS);
    ctx.step(`round trips slowing from ${FIRST_SLOW_MS} ms by ${SLOWDOWN_STEP_MS} ms every ${EVERY_MS} ms`);
    return async () => {
      clearInterval(timer);
      pair(NORMAL_RTT_MS);
      ctx.step(`slowdown stopped at ${rtt} ms; a normal round trip written`);
    };
  },
};

/** FIX UTCTimestamp: 20261123-15:30:00.123 */
function fixTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}
