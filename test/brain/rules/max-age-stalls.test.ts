/**
 * A threshold rule's `max_age` leaves the brain's own stalls out of a value's age (issue #16):
 * a pair-silence rule (both legs of a plant pair without a fresh `seq` for 3 s, the shape the
 * packaged PlantPairDown had before it followed the wrapper-aware verdicts, #19) on the real
 * engine, fake clock. A new primary whose loop was held 4 s by its own start saw plant
 * heartbeats until the stall began; it must not call the pair down because the backlog of
 * heartbeats has not been read yet. A pair that really goes down is still paged: late by the
 * stall at most.
 */
import t from 'tap';
import type { StallHistory } from '../../../brain/rules/query.js';
import { harness } from './harness.js';

const PLANT_RULES = `group: plant
interval: 1s
rules:
  - name: PairSilent
    kind: threshold
    series: { measurement: plant, field: seq }
    match: ['pair!=""']
    aggregate: { by: [pair], op: count }
    max_age: 3s
    below: 1
    severity: critical
    annotations:
      summary: "both legs of {{pair}} are down"
`;
const legs = [
  { component: 'fh-a', kind: 'feed_handler', pair: 'fh' },
  { component: 'fh-b', kind: 'feed_handler', pair: 'fh' },
];

/** The brain's loop stalled over [from, to) (wall ms); what LoopWatch.stalledSinceMs answers at `now()`. */
function stallOver(now: () => number, spans: [number, number][]): StallHistory {
  return {
    stalledSinceMs: (atMs) => spans.reduce((ms, [from, to]) => ms + Math.max(0, Math.min(to, now()) - Math.max(from, atMs)), 0),
  };
}

/** Heartbeats from both legs every 100 ms (each step) from `h.clock`'s now until `untilMs`; the step's own firing log. */
function run(h: ReturnType<typeof harness>, untilMs: number, beating: (atMs: number) => boolean, seen: string[]): void {
  let seq = 1;
  while (h.clock.now() < untilMs) {
    if (beating(h.clock.now())) for (const tags of legs) h.set('plant', 'seq', tags, seq++);
    h.clock.advance(100);
    const f = h.firing('PairSilent');
    if (f.length) seen.push(`${(h.clock.now() - start) / 1000}s ${f.join(' ')}`);
  }
}

const start = Date.UTC(2026, 10, 23, 9, 0, 0);

t.test("a new primary's 4 s start stall with heartbeats queued behind it: a max_age rule stays quiet", async (t) => {
  // The stall: 10 s to 14 s. The plant kept sending; the brain reads the backlog at 14 s.
  const stall: [number, number] = [start + 10_000, start + 14_000];
  const withStalls = harness({ 'plant.yaml': PLANT_RULES }, { start, stalls: stallOver(() => withStalls.clock.now(), [stall]) });
  const without = harness({ 'plant.yaml': PLANT_RULES }, { start });
  const unread = (at: number) => at < stall[0] || at >= stall[1];
  const seen: string[] = [];
  const seenWithout: string[] = [];
  run(withStalls, start + 20_000, unread, seen);
  run(without, start + 20_000, unread, seenWithout);
  t.same(seen, [], 'never fired with the stall left out of the age');
  t.ok(
    seenWithout.length > 0,
    `without the stall history it fires during the start (what a take-over paged): ${seenWithout.slice(0, 2).join('; ')}`,
  );
  await withStalls.manager.stop();
  await without.manager.stop();
});

t.test('both legs really down: fired after 3 s of silence the brain attended, so late by its stall at most', async (t) => {
  const down = start + 10_000;
  for (const [what, spans, byS] of [
    ['no stall', [], 14],
    ['a 2 s stall 1 s after the pair went down', [[down + 1_000, down + 3_000]], 16],
  ] as [string, [number, number][], number][]) {
    const h = harness({ 'plant.yaml': PLANT_RULES }, { start, stalls: stallOver(() => h.clock.now(), spans) });
    const seen: string[] = [];
    run(h, start + 25_000, (at) => at < down, seen);
    t.ok(seen.length > 0, `${what}: fired (${seen[0] ?? 'never'})`);
    const firstS = Number(seen[0]?.split('s ')[0]);
    t.ok(firstS <= byS, `${what}: first fired at ${firstS} s, by ${byS} s (down at 10 s)`);
    t.ok(firstS >= 13, `${what}: not before 3 s of silence (${firstS} s)`);
    await h.manager.stop();
  }
});
