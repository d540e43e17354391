/**
 * The FIX drills on the plant's real FIX session (#19), against one demo floor: fix-slowdown,
 * fix-logout and fix-gap each open exactly one incident, it names the session, and the
 * session's recovery resolves it. Runs the built CLI as a user would (`floorwatch demo`, then
 * `floorwatch drill NAME --json`); test/scenarios/drills.test.ts runs every drill for its pages,
 * this file is the FIX-specific account (the one-incident-per-session rule of the issue).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { DrillResult } from '../../cli/drill/drill.js';
import { DEMO_CLI as cli, demoReady, startDemo } from '../helpers/demo.js';
import { getJson } from '../helpers/floorwatch.js';
import { waitWhileProgressing } from '../helpers/wait.js';
if (!existsSync(cli)) t.skip('build first (npm test does)', () => {});
// ~100 s on a quiet box; the demo's start and each drill's phases wait on progress, not a clock.
t.setTimeout(600_000);

const SESSION = 'FLOOR-OMS/VENUE-GW';

/** Each drill's alert, which must be among the incident's roots or symptoms. */
const DRILLS: [name: string, alert: string][] = [
  ['fix-slowdown', 'FixRoundTripSlow'],
  ['fix-logout', 'FixSessionDown'],
  ['fix-gap', 'FixResendStorm'],
];

interface Inc {
  id: string;
  title: string;
  status: string;
  timeline: { at: number; kind: string; text: string }[];
  roots: { alertname: string; text: string; labels: Record<string, string> }[];
  symptoms: { alertname: string; text: string; labels: Record<string, string> }[];
}

t.test('each FIX drill: one incident naming the session, resolved by its recovery', async (t) => {
  // Escalation every 4 s, drills wait for 2 steps: each fault is held at least 4 s, so fix-logout
  // sees the router's Logons refused several times (a flapping session was two incidents).
  const demo = await startDemo({ escalateAfterS: 4 });
  t.teardown(demo.kill);
  await demoReady(demo, 90_000);
  // The session logged on and its round trip's baseline learned (the detector needs 5 normal
  // ones): otherwise a slowdown right after start is learned as normal, not found.
  const rtts = () =>
    getJson<{ tags: Record<string, string>; value: number }[]>(`${demo.api}/api/series?measurement=fix_session&field=rtt_pairs`).catch(
      () => [],
    );
  const loggedOn = () =>
    getJson<{ tags: Record<string, string>; value: number }[]>(`${demo.api}/api/series?measurement=fix_session&field=logged_on`).catch(
      () => [],
    );
  await waitWhileProgressing(
    `${SESSION} logged on with 8 round trips`,
    async () =>
      (await loggedOn()).some((s) => s.tags['session'] === SESSION && s.value === 1) &&
      (await rtts()).some((s) => s.tags['session'] === SESSION && s.value >= 8),
    async () => (await rtts()).map((s) => s.value),
    { stallMs: 30_000, detail: () => "the plant-host agent reports fix_session for the router's engine log" },
  );

  const before = await getJson<Inc[]>(`${demo.api}/api/incidents?status=all&limit=1000`);
  if (before.length) t.comment(`open before the drills (not theirs): ${before.map((i) => `${i.id} "${i.title}" ${i.status}`).join('; ')}`);

  for (const [name, alert] of DRILLS) {
    await t.test(name, async (t) => {
      const started = Date.now();
      const args = [cli, 'drill', name, '--brain', demo.api, '--demo', demo.demoUrl, '--steps', '2', '--timeout', '60', '--json'];
      const run = await promisify(execFile)(process.execPath, args, { timeout: 200_000 }).catch(
        (err: { stdout?: string; stderr?: string }) => ({
          stdout: err.stdout ?? '',
          stderr: err.stderr ?? '',
        }),
      );
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1) || '{}') as DrillResult;
      t.comment(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s; ${r.steps?.map((s) => `${s.label} @${s.ms} ms`).join('; ')}`);
      if (!r.newIncidents) return void t.fail(`the drill printed no result (stderr: ${run.stderr.slice(-500)})`);
      t.same(r.problems, [], 'the drill met its expectations and restored the floor');
      if (r.problems.length && r.incident) {
        const inc = await getJson<{ timeline: { at: number; kind: string; text: string }[] }>(`${demo.api}/api/incidents/${r.incident.id}`);
        t.comment(
          `${r.incident.id} timeline: ${inc.timeline.map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${e.kind}: ${e.text}`).join(' | ')}`,
        );
      }

      // Every incident opened during the drill that is about the session, by title or by an alert's label.
      const opened = await Promise.all(r.newIncidents.map((i) => getJson<Inc>(`${demo.api}/api/incidents/${i.id}`)));
      const aboutSession = opened.filter(
        (i) => i.title.includes(SESSION) || [...i.roots, ...i.symptoms].some((a) => a.labels['session'] === SESSION),
      );
      const describe = (list: Inc[]) =>
        list
          .map((i) => `${i.id} "${i.title}" [${[...i.roots, ...i.symptoms].map((a) => a.alertname).join(', ')}] ${i.status}`)
          .join('; ') || 'none';
      t.equal(aboutSession.length, 1, `exactly one incident about ${SESSION} (opened during the drill: ${describe(opened)})`);
      const inc = aboutSession[0];
      if (!inc) return;
      t.ok(inc.title.includes(SESSION), `its title names the session: "${inc.title}"`);
      t.ok(
        [...inc.roots, ...inc.symptoms].some((a) => a.alertname === alert),
        `${alert} among its alerts (${describe([inc])})`,
      );
      // The drill waited for the resolution after restoring the venue; read it again now.
      const now = await getJson<Inc>(`${demo.api}/api/incidents/${inc.id}`);
      t.equal(now.status, 'resolved', `resolved once the session recovered (${describe([now])})`);
      // What the agent read from the router's engine log while the fault was held: the session's
      // state changes (fix.session events). A logout is one down, not down, up (the order and
      // reports in flight after the Logout), down (the first refused Logon).
      const from = r.steps.find((x) => x.label === 'fault injection started')?.at ?? started;
      const to = r.steps.find((x) => x.label === 'floor restored')?.at ?? Date.now();
      const events = await getJson<{ timeUs: number; tags: Record<string, string>; attrs: Record<string, string> }[]>(
        `${demo.api}/api/events?kind=fix.session&limit=1000`,
      );
      const states = events
        .filter((e) => e.tags['session'] === SESSION && e.timeUs / 1000 >= from && e.timeUs / 1000 <= to)
        .map((e) => `${e.attrs['state']} (${e.attrs['reason']})`);
      t.comment(`${SESSION} while the fault was held: ${states.join(' → ') || 'no change'} (${events.length} fix.session events in all)`);
      if (name === 'fix-logout')
        t.match(
          states,
          [/^down \(Logout from VENUE-GW: session closed by the venue\)$/],
          'logged out by the venue: one down, no up until the restore',
        );
      if (name === 'fix-logout') t.equal(states.length, 1, 'and nothing else');
      t.ok(states.filter((x) => x.startsWith('down')).length <= 1, 'the session went down at most once (no flapping)');
      const again = now.timeline.filter((e) => e.kind === 'alert' && /firing again/.test(e.text)).map((e) => e.text);
      t.same(again, [], 'no alert of the incident resolved and fired again while the fault was held (no flapping)');
    });
  }

  t.equal(await demo.stop(), 0, 'the demo stops cleanly on Ctrl-C after the drills');
});
