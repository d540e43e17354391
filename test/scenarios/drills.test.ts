/**
 * Every fault drill against one demo floor (issue #7): for each, exactly one incident with the
 * expected root cause, and exactly one page per escalation step reached, read back from the
 * demo's SNPP sink. Runs the built CLI (npm test builds first), as a user would: `floorwatch
 * demo` on free ports, then `floorwatch drill NAME --steps 2` one after the other.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { DrillResult } from '../../cli/drill/drill.js';
import { BrainApi, deliveredPages } from '../../cli/drill/brain-api.js';
import { DEMO_CLI as cli, demoReady, startDemo } from '../helpers/demo.js';
import { getJson } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';
if (!existsSync(cli)) t.skip('build first (npm test does)', () => {});

/** The FIX drills, tested on their own demo by fix-drills.test.ts (one incident naming the session, no flap). */
const FIX_DRILLS = ['fix-slowdown', 'fix-logout', 'fix-gap'];

/** Who each escalation step pages in the demo's on-call schedule. */
const PAGER_OF_STEP = ['alice', 'bob', 'carol'];

/** The root cause each drill must produce, as the incident's title says it. */
const EXPECTED: Record<string, RegExp | null> = {
  'kill-primary-fh': /^feed handler fh-[ab] exited \(signal 9\)$/,
  'kill-both-fh': /^both feed handlers of pair fh down/,
  'nic-down': /^NIC fwd\d+a down on srv-ldn-net$/,
  'bond-failover': /^bond0 failed over on srv-ldn-fix$/,
  'dirty-flush-storm': /^dirty memory flush storm on srv-ldn-fix/,
  'log-error-burst': /^srv-ldn-fix \S+app\.log: \d+ lines matched log rule errors in 1m/,
  'colour-dark': /red hosts silent at once/,
  'influx-away': /^time-series store .* not accepting writes/,
  // Last: they take the demo's primary brain away (the demo's printed URL follows the other).
  'kill-primary-brain': /^brain pair: one leg broken, brain-[ab] unheard/,
  'stall-primary-brain': /^brain pair: one leg broken, brain-[ab] unheard/,
};

/** The demo pair's take-over patience (cli/demo/brain-pair.ts: 8 × 500 ms), and the slack a busy box gets on top. */
const TAKEOVER_MS = 4000;
const TAKEOVER_SLACK_MS = 4000;

interface SinkPage {
  at: number;
  pagerIds: string[];
  message: string;
}

t.test('every drill: one incident with the expected root cause, one page per escalation step', async (t) => {
  const demo = await startDemo({ escalateAfterS: 2 });
  t.teardown(demo.kill);
  await demoReady(demo, 90_000);
  const [brain, demoUrl] = [demo.api, demo.demoUrl];

  const { stdout: list } = await promisify(execFile)(process.execPath, [cli, 'drill', '--list']);
  t.same(
    list
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0])
      .sort(),
    [...Object.keys(EXPECTED), ...FIX_DRILLS].sort(),
    'the drills listed are the drills tested (here and in fix-drills.test.ts)',
  );

  for (const [name, title] of Object.entries(EXPECTED)) {
    await t.test(name, async (t) => {
      const started = Date.now();
      const run = await promisify(execFile)(
        process.execPath,
        [cli, 'drill', name, '--brain', brain, '--demo', demoUrl, '--steps', '2', '--timeout', '45', '--json'],
        { timeout: 150_000 },
      ).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1) || '{}') as DrillResult;
      t.comment(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s; ${r.steps?.map((s) => `${s.label} @${s.ms} ms`).join('; ')}`);
      if (r.skipped) return void t.skip(r.skipped, () => {});
      t.same(r.problems, [], 'the drill met its expectations and restored the floor');
      const others = r.newIncidents.filter((i) => !r.matching.includes(i.id));
      if (others.length) t.comment(`also opened meanwhile (not this drill's cause): ${others.map((i) => `${i.id} ${i.title}`).join('; ')}`);
      if (!title) return void t.equal(r.incident, undefined, 'no incident expected');
      t.equal(r.matching.length, 1, 'exactly one incident for the root cause');
      t.match(r.incident?.title, title, 'the expected root cause');
      t.equal(r.incident?.status, 'resolved', 'resolved once the floor was restored');

      // Pages as the pagers received them: the SNPP sink, not the brain's own account. The drill read
      // the incident once it resolved; a later step's page (the manager's, when the restore took
      // longer than its delay) may still have been on its way, so the sink and the brain's timeline
      // are read again until they agree on which steps were paged.
      const id = r.incident!.id;
      const seen = { steps: [] as number[], sink: [] as SinkPage[] };
      const agreed = await waitFor(
        `the pager sink and ${id}'s timeline to agree on the steps paged`,
        async () => {
          const [{ pages }, incident] = await Promise.all([
            getJson<{ pages: SinkPage[] }>(`${demoUrl}/api/demo/pages`),
            new BrainApi(brain).incident(id),
          ]);
          seen.sink = pages.filter((p) => p.message.startsWith(`${id} `) && !p.message.includes(' RESOLVED'));
          seen.steps = [
            ...new Set(
              deliveredPages(incident)
                .filter((p) => p.kind === 'page')
                .map((p) => p.step),
            ),
          ].sort();
          const sinkPagers = new Set(seen.sink.flatMap((p) => p.pagerIds));
          const stepPagers = new Set(seen.steps.map((s) => PAGER_OF_STEP[s]));
          return sinkPagers.size === stepPagers.size && [...sinkPagers].every((p) => stepPagers.has(p));
        },
        { timeoutMs: 10_000, everyMs: 200 },
      ).catch(() => false);
      const described = `timeline steps ${seen.steps.join(',')}; sink: ${seen.sink.map((p) => `${p.pagerIds.join('+')} "${p.message}"`).join(' | ')}`;
      t.ok(agreed, `the pager sink and the brain's timeline agree on who was paged (${described})`);
      t.ok(seen.steps.includes(0) && seen.steps.includes(1), `first line and back line paged (steps ${seen.steps.join(',')})`);
      for (const step of seen.steps) {
        const pager = PAGER_OF_STEP[step]!;
        t.equal(seen.sink.filter((p) => p.pagerIds.includes(pager)).length, 1, `exactly one page for step ${step} (${pager})`);
      }
      t.equal(seen.sink.length, seen.steps.length, `no other page for this incident (${described})`);
      if (name.endsWith('-primary-brain')) brainPairSteps(t, r);
    });
  }

  t.equal(await demo.stop(), 0, 'the demo stops cleanly on Ctrl-C after the drills');
});

/** The take-over as the drill saw it: the other brain primary soon after the fault, the old one back in sync, no page twice. */
function brainPairSteps(t: Test, r: DrillResult): void {
  const labels = r.steps.map((s) => s.label);
  const takeover = r.steps
    .map((s) => /^(brain-[ab]) primary \(term (\d+)\): take-over (\d+) ms after the fault$/.exec(s.label))
    .find(Boolean);
  t.ok(takeover, `the take-over is in the drill's timeline: ${labels.join(' | ')}`);
  const ms = Number(takeover?.[3]);
  t.ok(ms <= TAKEOVER_MS + TAKEOVER_SLACK_MS, `the other brain primary ${ms} ms after the fault (patience ${TAKEOVER_MS} ms)`);
  const fault = labels.find((l) => /^kill -(9|STOP) brain-[ab] \(primary/.test(l));
  t.ok(fault && !fault.includes(takeover?.[1] ?? '?'), `the brain faulted (${fault}) is not the one that took over (${takeover?.[1]})`);
  t.ok(
    labels.some((l) => /^brain-[ab] back: secondary, in sync with the primary/.test(l)),
    'the faulted brain is back as an in-sync secondary',
  );
  t.ok(
    labels.some((l) => /^pages checked: .*none twice since the fault$/.test(l)),
    `no page repeated across the take-over (timeline and pager sink): ${labels.at(-1)}`,
  );
}
