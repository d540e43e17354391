/**
 * The false-alarm budget (#19): the demo floor left alone opens no incident and sends no page.
 * In the suite it sits for FW_SOAK_S seconds (default 120); `npm run soak` runs it for 600 s,
 * and with FW_SOAK_HOGS=2 beside two CPU hogs, where a real kill -9 of the primary feed handler
 * halfway through must still be detected and paged exactly once, and nothing else paged.
 * Results of the long runs: docs/benchmarks.md, "Quiet floor soak".
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { DEMO_CLI, demoReady, startDemo } from '../helpers/demo.js';
import { getJson } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';
if (!existsSync(DEMO_CLI)) t.skip('build first (npm test does)', () => {});

const SOAK_S = Number(process.env['FW_SOAK_S'] ?? 120);
const HOGS = Number(process.env['FW_SOAK_HOGS'] ?? 0);
// The soak itself, the demo's start (minutes on a busy box) and its stop: .taprc's 300 s would
// end `npm run soak` (600 s) before it looked at anything.
t.setTimeout((SOAK_S + 300) * 1000);

interface Inc {
  id: string;
  title: string;
  severity: string;
}

t.test(
  `the demo floor left alone for ${SOAK_S} s${HOGS ? ` beside ${HOGS} CPU hogs, with one real kill` : ''}: no false incident, no false page`,
  async (t) => {
    const demo = await startDemo();
    t.teardown(demo.kill);
    await demoReady(demo, 90_000);
    const hogs: ChildProcess[] = [];
    t.teardown(() => hogs.forEach((h) => h.kill('SIGKILL')));
    for (let i = 0; i < HOGS; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));

    const started = Date.now();
    let killed: string | undefined;
    let killedAt = 0;
    const load: number[] = [];
    while (Date.now() - started < SOAK_S * 1000) {
      await new Promise((r) => setTimeout(r, 5000));
      load.push(loadavg()[0]!);
      if (HOGS && !killed && Date.now() - started > (SOAK_S * 1000) / 2) {
        killed = await killPrimaryFh(demo.api, demo.child.pid!);
        killedAt = Date.now();
      }
    }
    const incidents = await getJson<Inc[]>(`${demo.api}/api/incidents?status=all&limit=1000`);
    const { pages } = await getJson<{ pages: { at: number; pagerIds: string[]; message: string }[] }>(`${demo.demoUrl}/api/demo/pages`);
    const describe = incidents.map((i) => `${i.id} ${i.severity} ${i.title}`).join('; ') || 'none';
    const sorted = [...load].sort((a, b) => a - b);
    t.comment(
      `soaked ${Math.round((Date.now() - started) / 1000)} s beside ${HOGS} hogs; 1-min load average min ${sorted[0]?.toFixed(1)}, ` +
        `median ${sorted[sorted.length >> 1]?.toFixed(1)}, max ${sorted.at(-1)?.toFixed(1)}; incidents: ${describe}; pages: ${pages.length}`,
    );
    if (!killed) {
      t.same(
        incidents.map((i) => i.title),
        [],
        `no incident (saw: ${describe})`,
      );
      t.same(
        pages.map((p) => p.message),
        [],
        'no page',
      );
    } else {
      const kill = incidents.filter((i) => i.title === `feed handler ${killed} exited (signal 9)`);
      t.equal(kill.length, 1, `the kill of ${killed}: one incident (saw: ${describe})`);
      t.equal(incidents.length, 1, `no other incident (saw: ${describe})`);
      const paged = pages.filter((p) => !p.message.includes(' RESOLVED'));
      const killPages = paged.filter((p) => p.message.startsWith(`${kill[0]?.id} `));
      t.equal(killPages.length, 1, `paged once (first line)${killPages[0] ? `, ${killPages[0].at - killedAt} ms after the kill` : ''}`);
      t.same(
        paged.filter((p) => !p.message.startsWith(`${kill[0]?.id} `)).map((p) => p.message),
        [],
        'nothing else paged',
      );
    }
    t.equal(await demo.stop(), 0, 'the demo stops cleanly');
  },
);

/** kill -9 of the fh pair's primary, found through the brain and the demo's process tree. */
async function killPrimaryFh(api: string, demoPid: number): Promise<string> {
  const s = await getJson<{ tags: Record<string, string>; value: number }[]>(`${api}/api/series?measurement=plant&field=primary`);
  const primary = s.find((x) => x.tags['pair'] === 'fh' && x.value === 1)!.tags['component']!;
  const pid = await waitFor(`the ${primary} process`, () => {
    for (const p of readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)) {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (argv.includes('plant') && argv.includes(primary) && !argv.includes('run') && isDescendant(p, demoPid)) return p;
      } catch {
        // gone
      }
    }
    return undefined;
  });
  process.kill(pid, 'SIGKILL');
  return primary;
}

function isDescendant(pid: number, ancestor: number): boolean {
  for (let p = pid; p > 1;) {
    if (p === ancestor) return true;
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}
