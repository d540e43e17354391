/**
 * The README's first command: `floorwatch demo` brings up brain, plant (under wrappers),
 * agents and workstations, serves its API, and leaves nothing running after Ctrl-C.
 * Runs the built CLI (npm test builds first), as `npm start` does.
 */
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { DEMO_CLI as cli, demoReady, plantPidsOf, startDemo } from '../helpers/demo.js';
import { getJson } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';
if (!existsSync(cli)) t.skip('build first (npm test does)', () => {});

function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const all: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (all.push(c), walk(c)));
  walk(pid);
  return all;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('floorwatch demo runs a floor, answers on its API, and stops cleanly on Ctrl-C', async (t) => {
  // Free ports and its own process group: a user's demo is not disturbed, a failure leaves nothing.
  const demo = await startDemo();
  t.teardown(demo.kill);
  const { api, demoUrl } = demo;
  await demoReady(demo, 60_000);
  const health = await getJson<{ agents_connected: number }>(`${api}/api/health`);
  t.equal(health.agents_connected, demo.agents, 'plant host, 6 workstations, fixture host (and veth host as root)');
  const plant = await waitFor(
    'the brain to see both pairs with one primary each',
    async () => {
      const s = await getJson<{ tags: Record<string, string>; value: number }[]>(`${api}/api/series?measurement=plant&field=primary`);
      const primaries = s
        .filter((x) => x.value === 1)
        .map((x) => x.tags['pair'])
        .sort();
      return primaries.join(',') === 'fh,tp' && s.length >= 7 ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  t.ok(plant.length >= 7, 'every plant component reports health');
  const board = await getJson<{ plant: { component: string; pair: string | null; role: string | null }[] }>(`${api}/api/wallboard`);
  t.same(
    board.plant
      .filter((c) => c.role === 'primary')
      .map((c) => c.pair)
      .sort(),
    ['fh', 'tp'],
    'the wall board shows one primary per pair',
  );
  t.ok(board.plant.length >= 7, 'and a row per plant component');
  // The README's drill: kill -9 the primary feed handler → one incident naming it as the cause.
  const primary = plant.find((x) => x.tags['pair'] === 'fh' && x.value === 1)!.tags['component']!;
  const [victim] = plantPidsOf(demo.stateDir, primary);
  t.ok(victim, `found the ${primary} process`);
  process.kill(victim!, 'SIGKILL');
  const incident = await waitFor(
    'an incident for the killed feed handler',
    async () => {
      const list = await getJson<{ id: string; title: string; severity: string; symptoms: number }[]>(`${api}/api/incidents`);
      // Only those about the kill: on a busy shared box a latency incident may be open meanwhile.
      const about = list.filter((i) => i.title.includes(primary));
      return about.length ? about : undefined;
    },
    { timeoutMs: 15_000 },
  );
  t.equal(incident.length, 1, 'exactly one incident for the kill');
  t.equal(incident[0]!.title, `feed handler ${primary} exited (signal 9)`, 'the root cause names the component and the signal');
  t.equal(incident[0]!.severity, 'major', 'one leg of the pair lost: major');
  const page = await waitFor(
    'the first-line page at the SNPP sink',
    async () => {
      const { pages } = await getJson<{ pages: { pagerIds: string[]; message: string }[] }>(`${demoUrl}/api/demo/pages`);
      return pages.find((p) => p.message.startsWith(`${incident[0]!.id} `));
    },
    { timeoutMs: 10_000 },
  );
  t.same(page.pagerIds, ['alice'], 'the first line is paged');
  // The banner says how to sign in and how to acknowledge from the CLI as alice.
  t.ok(
    demo.stdout.some((l) => /sign in\s+wall \/ \S+ \(viewer\),\s+alice \/ \S+ \(operator\)/.test(l)),
    'the banner prints the demo users and passwords',
  );
  const tokenFile = demo.stdout.map((l) => /--token-file (\S+)\)/.exec(l)?.[1]).find(Boolean);
  t.ok(tokenFile, "the banner names alice's token file");
  // Asynchronously: a spawnSync held this process's event loop for the CLI's whole run (seconds on
  // a busy box), so the keep-alive socket the demo had closed meanwhile was still pooled, and the
  // next fetch went out on it ("other side closed", CI run ci2).
  const ack = await promisify(execFile)(process.execPath, [cli, 'ack', incident[0]!.id, '--brain', api, '--token-file', tokenFile!]).then(
    (r) => ({ status: 0, stderr: r.stderr }),
    (err: { code?: number; stderr?: string }) => ({ status: err.code ?? -1, stderr: err.stderr ?? String(err) }),
  );
  t.equal(ack.status, 0, `floorwatch ack with the printed token file exits 0 (${ack.stderr.trim()})`);
  const acked = await getJson<{ ackedBy?: string }>(`${api}/api/incidents/${incident[0]!.id}`);
  t.equal(acked.ackedBy, 'alice', "acknowledged by the token's user");
  const started = descendants(demo.child.pid!);
  t.ok(started.length >= 14, `wrappers and plant processes running (${started.length})`);
  t.equal(await demo.stop(), 0, 'demo exits 0 on Ctrl-C');
  t.ok(demo.stdout.some((l) => l.includes('nothing left running')));
  await waitFor('every process the demo started to be gone', () => started.every((p) => !alive(p)), { timeoutMs: 10_000 });
  t.pass('no process left behind');
  if (process.getuid?.() === 0) {
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    t.notMatch(namespaces, `fwdemo${demo.child.pid}`, "the veth workstation's network namespace is gone");
  }
});
