/**
 * The link between the two brains cut while the witness and the agent still reach both: each
 * brain in its own network namespace, joined to the root namespace (witness, agent, SNPP
 * gateway) by one veth each and to each other by a third veth, which the test takes down. The
 * secondary hears no primary and campaigns, the witness keeps renewing the primary: no take-over
 * at all, one primary throughout (role logs), the incident's escalation paged once per step by the
 * primary alone (counted as unreplicated), the broken leg paged as PairLegDown; after the heal the
 * secondary catches up again. Root only (network namespaces).
 *
 *   root ns: witness 10.77.1.1, SNPP proxy 10.77.1.1, agent ── veth ── nsA: brain A 10.77.10.1 (lo)
 *                                                        └── veth ── nsB: brain B 10.77.10.2 (lo)
 *   nsA ── veth (the link cut) ── nsB
 */
import t, { type Test } from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { floorwatch, getJson, scratchDir, writeYaml } from '../helpers/floorwatch.js';
import { ALICE_ON_CALL } from '../helpers/oncall.js';
import { alwaysOpenCalendar } from '../helpers/calendar.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../helpers/snpp-hfaxd.js';
import { PROCESS_EXITED_RULE, roleLog, startPairAgent, wrappedAtPrimary } from '../helpers/pair.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const available = await hfaxdAvailable();
if (process.getuid?.() !== 0) t.skip('not root: no network namespaces', () => {});
else if (!available.ok) t.skip(`hfaxd not available: ${available.reason}`, () => {});
else t.test('link between the brains cut, witness and agent reach both: one primary throughout, each page once', linkCut);

const HB_MS = 200;
const ESCALATE_S = 4;
const STEPS = 4;
const CUT_MS = 8_000;

async function linkCut(t: Test): Promise<void> {
  const s = String(process.pid % 10_000);
  const ns = { a: `fwpA${s}`, b: `fwpB${s}` };
  const dev = { ra: `fpa${s}`, ar: `fpa${s}p`, rb: `fpb${s}`, br: `fpb${s}p`, ab: `fpab${s}`, ba: `fpba${s}` };
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const teardownNet = () => {
    for (const args of [
      ['link', 'del', dev.ra],
      ['link', 'del', dev.rb],
      ['netns', 'del', ns.a],
      ['netns', 'del', ns.b],
    ]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
  };
  teardownNet();
  t.teardown(teardownNet);
  ip('netns', 'add', ns.a);
  ip('netns', 'add', ns.b);
  ip('link', 'add', dev.ra, 'type', 'veth', 'peer', 'name', dev.ar, 'netns', ns.a);
  ip('link', 'add', dev.rb, 'type', 'veth', 'peer', 'name', dev.br, 'netns', ns.b);
  ip('-n', ns.a, 'link', 'add', dev.ab, 'type', 'veth', 'peer', 'name', dev.ba, 'netns', ns.b);
  ip('addr', 'add', '10.77.1.1/24', 'dev', dev.ra);
  ip('addr', 'add', '10.77.2.1/24', 'dev', dev.rb);
  ip('link', 'set', dev.ra, 'up');
  ip('link', 'set', dev.rb, 'up');
  for (const [n, own, up, lo, link] of [
    [ns.a, dev.ar, '10.77.1.2/24', '10.77.10.1/32', dev.ab],
    [ns.b, dev.br, '10.77.2.2/24', '10.77.10.2/32', dev.ba],
  ] as const) {
    ip('-n', n, 'link', 'set', 'lo', 'up');
    ip('-n', n, 'addr', 'add', lo, 'dev', 'lo');
    ip('-n', n, 'addr', 'add', up, 'dev', own);
    ip('-n', n, 'addr', 'add', n === ns.a ? '10.77.3.1/24' : '10.77.3.2/24', 'dev', link);
    ip('-n', n, 'link', 'set', own, 'up');
    ip('-n', n, 'link', 'set', link, 'up');
  }
  // The brains reach each other only over their own link; everything else through the root ns.
  ip('-n', ns.a, 'route', 'add', '10.77.10.2/32', 'via', '10.77.3.2');
  ip('-n', ns.b, 'route', 'add', '10.77.10.1/32', 'via', '10.77.3.1');
  ip('-n', ns.b, 'route', 'add', '10.77.1.1/32', 'via', '10.77.2.1');
  ip('route', 'add', '10.77.10.1/32', 'via', '10.77.1.2');
  ip('route', 'add', '10.77.10.2/32', 'via', '10.77.2.2');

  const dir = scratchDir(t);
  const snpp = await startHfaxdSnpp();
  t.teardown(() => snpp.stop());
  // hfaxd listens on the root namespace's loopback: a relay on 10.77.1.1 lets the brains reach it.
  const relay: Server = createServer((c) => {
    const up = createConnection({ host: '127.0.0.1', port: snpp.port });
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '10.77.1.1', () => r()));
  t.teardown(() => new Promise<void>((r) => relay.close(() => r())));
  const relayPort = (relay.address() as { port: number }).port;

  mkdirSync(`${dir}/rules`);
  copyFileSync(join(ROOT, 'rules/brain.yaml'), `${dir}/rules/brain.yaml`);
  writeYaml(`${dir}/rules`, 'host.yaml', PROCESS_EXITED_RULE);
  const steps = Array.from({ length: STEPS }, (_, i) => `{tier: first-line, after_s: ${i * ESCALATE_S}}`).join(', ');
  const config = writeYaml(
    dir,
    'pair.yaml',
    `brain: {id: brain-a, state_dir: ${dir}/a}
listen: 10.77.10.1:7070
http: 10.77.10.1:7080
allow_plaintext: true
access: {anonymous_read: true}
spool: {fsync: false}
rules: {dir: ${dir}/rules, calendar: ${writeYaml(dir, 'calendar.yaml', alwaysOpenCalendar())}}
paging:
  schedule: ${writeYaml(dir, 'oncall.yaml', ALICE_ON_CALL)}
  escalation: {steps: [${steps}], repeat_every_s: 600, max_repeats: 0}
  snpp: {host: 10.77.1.1, port: ${relayPort}, login: floorwatch}
pair:
  heartbeat_ms: ${HB_MS}
  members:
    - {id: brain-a, pair: 10.77.10.1:7090, replication: 10.77.10.1:7091}
    - {id: brain-b, pair: 10.77.10.2:7090, replication: 10.77.10.2:7091}
    - {id: witness, pair: 10.77.1.1:7090, witness: true}
`,
  );
  const inNs = (n: string, args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', n, process.execPath, '--import', 'tsx', join(ROOT, 'cli/floorwatch.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    return child;
  };
  const ready = (c: ChildProcess) =>
    new Promise<void>((res, rej) => {
      createInterface({ input: c.stdout! }).on('line', (l) => l.includes('"ready"') && res());
      c.once('exit', (code) => rej(new Error(`exited ${code} before ready`)));
    });
  const witness = floorwatch(['brain', 'witness', '--config', config]);
  t.teardown(() => witness.kill('SIGKILL'));
  const a = inNs(ns.a, ['brain', '--config', config]);
  const b = inNs(ns.b, [
    'brain',
    '--config',
    config,
    '--id',
    'brain-b',
    '--state-dir',
    `${dir}/b`,
    '--listen',
    '10.77.10.2:7070',
    '--http',
    '10.77.10.2:7080',
  ]);
  await Promise.all([witness.line((l) => l['ready'] === 'witness'), ready(a), ready(b)]);
  const api = { a: 'http://10.77.10.1:7080/api', b: 'http://10.77.10.2:7080/api' };
  type Pair = { role: string; replica: { inSync?: boolean; connected: boolean } };
  const pairOf = async (w: 'a' | 'b') => (await getJson<{ pair: Pair }>(`${api[w]}/health`).catch(() => undefined))?.pair;
  const primary = await waitFor(
    'a primary and a caught-up secondary',
    async () => {
      const [pa, pb] = [await pairOf('a'), await pairOf('b')];
      if (pa?.role === 'primary' && pb?.replica.inSync) return 'a' as const;
      if (pb?.role === 'primary' && pa?.replica.inSync) return 'b' as const;
      return undefined;
    },
    { timeoutMs: 30_000 },
  );
  const secondary = primary === 'a' ? 'b' : 'a';

  const { socket } = await startPairAgent(t, dir, {
    addresses: ['10.77.10.1:7070', '10.77.10.2:7070'],
    brain: 'allow_plaintext_remote: true',
  });
  const { pid: childPid } = await wrappedAtPrimary(t, { name: 'fh-a', socket, dir, api: () => api[primary] });
  process.kill(childPid, 'SIGKILL');
  const incident = await waitFor(
    'the incident',
    async () =>
      (await getJson<{ id: string; openedAt: number; title: string }[]>(`${api[primary]}/incidents`).catch(() => [])).find((i) =>
        /fh-a exited/.test(i.title),
      ),
    { timeoutMs: 20_000 },
  );
  const ours = () => snpp.pages().filter((p) => p.text.startsWith(`${incident.id} `));
  await waitFor('the first page', () => (ours().length >= 1 ? true : undefined), { timeoutMs: 20_000 });

  const cutAt = Date.now();
  ip('-n', ns.a, 'link', 'set', dev.ab, 'down');
  await new Promise((r) => setTimeout(r, CUT_MS));
  const during = { a: await pairOf('a'), b: await pairOf('b') };
  ip('-n', ns.a, 'link', 'set', dev.ab, 'up');
  // An interface taken down loses the routes through it: the heal puts them back.
  ip('-n', ns.a, 'route', 'replace', '10.77.10.2/32', 'via', '10.77.3.2');
  ip('-n', ns.b, 'route', 'replace', '10.77.10.1/32', 'via', '10.77.3.1');
  t.equal(during[primary]?.role, 'primary', `brain-${primary} led through the cut`);
  t.equal(during[secondary]?.role, 'secondary', `brain-${secondary} stayed secondary: ${JSON.stringify(during)}`);
  await waitFor(`brain-${secondary} caught up after the heal`, async () => ((await pairOf(secondary))?.replica.inSync ? true : undefined), {
    timeoutMs: 20_000,
  });

  const due = Math.min(STEPS, Math.floor((Date.now() - incident.openedAt) / (ESCALATE_S * 1000)) + 1);
  await waitFor(`${due} pages`, () => (ours().length >= due ? true : undefined), { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(
    ours().length,
    Math.min(STEPS, Math.floor((Date.now() - incident.openedAt) / (ESCALATE_S * 1000)) + 1),
    `each step due paged once: ${JSON.stringify(ours().map((p) => p.jobId))}`,
  );
  const log = (w: 'a' | 'b') => roleLog(join(dir, w, 'pair-roles.jsonl'));
  t.same(
    log(primary).filter((l) => l.atMs >= cutAt),
    [],
    `no role change of brain-${primary} since the cut`,
  );
  t.same(
    log(secondary).filter((l) => l.role === 'primary'),
    [],
    `brain-${secondary} never primary`,
  );
  const metrics = await (await fetch(`${api[primary].replace(/\/api$/, '')}/metrics`)).text();
  const alone = Number(/^floorwatch_pair_pages_unreplicated_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  t.ok(alone >= 1, `pages went alone during the cut, counted: ${alone}`);
  const rows = await getJson<{ title: string }[]>(`${api[primary]}/incidents?status=all`);
  t.ok(
    rows.some((r) => r.title.includes(`brain-${secondary} unheard`)),
    `the broken leg is an incident: ${JSON.stringify(rows.map((r) => r.title))}`,
  );
}
