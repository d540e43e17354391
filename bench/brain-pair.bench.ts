/**
 * Brain pair take-over (issue #16), beside Alertmanager's own HA cluster, in one run.
 *
 * floorwatch: witness, brain A and brain B (compiled CLI, separate processes), one agent listing
 * both brains, Debian's hfaxd as the SNPP gateway (test/helpers/pair.ts, as the scenario tests).
 * Each run: a fresh wrapped process is started; then, at the same instant, the primary brain is
 * SIGKILLed and the wrapped process is SIGKILLed (a fault arriving exactly as the monitor loses its
 * primary). Measured:
 *   kill → new primary        the survivor's role log (`elected`), wall clock of the same host
 *   kill → page at hfaxd      the page for the new fault queued by hfaxd (take-over, the agent's
 *                             fail-over and replay, detection, settle, outbox replicated... paged)
 * Then the killed brain is restarted and waits until it has caught up; the next run kills
 * whichever brain is primary, so the two alternate. At the end: pages per fault (must be 1), and
 * the role logs never show two brains acting as primary at once (a killed brain's span ends at
 * its kill).
 *
 * Alertmanager: two Debian `prometheus-alertmanager` instances in one gossip cluster
 * (--cluster.listen-address / --cluster.peer, defaults otherwise: peer timeout 15 s), route tuned
 * as fast as it goes (group_wait 0s, group_interval 1s, every alert its own group), a webhook
 * receiver here counting notifications. A sender here plays Prometheus: every alert posted to both
 * instances when it fires and again every 60 s (Prometheus's resend delay) while it fires. Each
 * run kills the instance that notifies first (position 0 in the cluster: the one a fail-over
 * must replace) and at the same instant a new alert fires; measured: kill → its notification at
 * the webhook. The killed instance is restarted (same data dir) and the next run waits until the
 * cluster has both members and is settled. At the end, after a quiet minute with the resends:
 * notifications per alert (duplicates = more than 1).
 *
 * Run (root: hylafax-server; prometheus-alertmanager is installed with apt-get when missing):
 *   node --import tsx bench/brain-pair.bench.ts [--runs 20] [--am-runs 20] [--hb-ms 200] [--quiet-s 60]
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startHfaxdSnpp, type HfaxdSnpp } from '../test/helpers/snpp-hfaxd.js';
import { other, primaryOverlaps, startPairAgent, startPairFloor, wrappedAtPrimary } from '../test/helpers/pair.js';
import { freePort } from '../test/helpers/wait.js';
import { alertmanagerConfig } from './lib/prom-stack.js';
import { killAll, runBench, sleep, start, stopProc, waitFor, type Proc } from './lib/procs.js';
import { pct, stat } from './lib/stats.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RUNS = Number(arg('runs', '20'));
const AM_RUNS = Number(arg('am-runs', String(RUNS)));
const HB_MS = Number(arg('hb-ms', '200'));
/** After the last Alertmanager run: long enough for a resend to reach the restarted instance. */
const QUIET_S = Number(arg('quiet-s', '60'));
const AM_BIN = '/usr/bin/prometheus-alertmanager';
const BUDGET_MS = (240 + RUNS * 30 + AM_RUNS * 60 + QUIET_S) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-pair-'));
let snpp: HfaxdSnpp | undefined;
const cleanups: (() => unknown)[] = [];
const owner = { teardown: (fn: () => unknown) => void cleanups.push(fn) };
const budget = setTimeout(() => {
  console.error(`over budget (${BUDGET_MS / 1000} s)`);
  killAll();
  process.exit(1);
}, BUDGET_MS);

interface FloorwatchResult {
  takeover: number[];
  toPage: number[];
  perFault: number[];
  otherPages: number;
  overlaps: string[];
}

async function floorwatchPair(): Promise<FloorwatchResult> {
  snpp = await startHfaxdSnpp();
  const floor = await startPairFloor(owner, dir, { snppPort: snpp.port, heartbeatMs: HB_MS, built: true });
  const { socket } = await startPairAgent(owner, dir, { id: 'bench-host', addresses: floor.addresses, built: true });
  const takeover: number[] = [];
  const toPage: number[] = [];
  const kills: { pid: number; at: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const primary = await floor.settled();
    const survivor = other(primary);
    const name = `fh-${run}`;
    const { pid: child, wrapper } = await wrappedAtPrimary(owner, { name, socket, dir, api: () => floor.api[primary], built: true });
    const victim = floor.brains[primary]!;
    const at = Date.now();
    victim.child.kill('SIGKILL');
    process.kill(child, 'SIGKILL');
    kills.push({ pid: victim.child.pid!, at });
    await victim.exited;
    const elected = await waitFor(
      'the new primary in its role log',
      () => floor.roleLog(survivor).find((l) => l.role === 'primary' && l.atMs >= at),
      30_000,
      5,
    );
    takeover.push((elected.atMs - at) * 1000);
    const paged = await waitFor(
      `the page for ${name}`,
      () => (snpp!.pages().some((pg) => pg.text.includes(name)) ? Date.now() : undefined),
      60_000,
      5,
    );
    toPage.push((paged - at) * 1000);
    console.error(
      `floorwatch run ${run + 1}: killed brain-${primary}; brain-${survivor} primary after ${elected.atMs - at} ms; ${name} paged after ${paged - at} ms`,
    );
    await wrapper.kill('SIGTERM');
    await floor.startBrain(primary);
  }
  await floor.settled();
  await sleep(2000);
  const pages = snpp.pages();
  const perFault = Array.from({ length: RUNS }, (_, i) => pages.filter((pg) => new RegExp(`\\bfh-${i} exited`).test(pg.text)).length);
  return {
    takeover,
    toPage,
    perFault,
    otherPages: pages.length - perFault.reduce((a, b) => a + b, 0),
    overlaps: primaryOverlaps([...floor.roleLog('a'), ...floor.roleLog('b')], kills),
  };
}

interface AmResult {
  toNotify: number[];
  perAlert: number[];
  /** Notifications by the sending instance's external URL. */
  bySender: Map<string, number>;
}

interface Firing {
  labels: Record<string, string>;
  startsAt: string;
}

async function alertmanagerPair(): Promise<AmResult> {
  if (!existsSync(AM_BIN)) {
    console.error('installing prometheus-alertmanager (apt-get)');
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus-alertmanager'], { stdio: 'inherit' });
  }
  // The webhook receiver: every firing arrival of every alert, stamped.
  const arrivals = new Map<string, { at: number; from: string }[]>();
  const hookPort = await freePort();
  const hook: Server = createServer((req, res) => {
    const at = Date.now();
    let body = '';
    req.on('data', (c: Buffer) => {
      if (body.length < 1 << 20) body += c.toString();
    });
    req.on('end', () => {
      res.end('ok');
      try {
        const msg = JSON.parse(body) as { externalURL: string; alerts: { status: string; labels: Record<string, string> }[] };
        for (const a of msg.alerts) {
          if (a.status !== 'firing' || a.labels['alertname'] !== 'BenchFault') continue;
          const run = a.labels['run']!;
          arrivals.set(run, [...(arrivals.get(run) ?? []), { at, from: msg.externalURL }]);
        }
      } catch {
        /* not ours */
      }
    });
  });
  await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', r));
  owner.teardown(() => {
    hook.closeAllConnections(); // Alertmanager's client keeps its connection alive
    hook.close();
  });
  writeFileSync(join(dir, 'am.yml'), alertmanagerConfig(hookPort));
  const ports = { web: [await freePort(), await freePort()], cluster: [await freePort(), await freePort()] };
  const url = (i: number) => `http://127.0.0.1:${ports.web[i]}`;
  const ams: (Proc | undefined)[] = [undefined, undefined];
  const startAm = (i: number) => {
    const p = start(AM_BIN, [
      `--config.file=${dir}/am.yml`,
      `--storage.path=${dir}/am-${i}`,
      `--web.listen-address=127.0.0.1:${ports.web[i]}`,
      `--web.external-url=${url(i)}`,
      `--cluster.listen-address=127.0.0.1:${ports.cluster[i]}`,
      `--cluster.peer=127.0.0.1:${ports.cluster[1 - i]}`,
    ]);
    ams[i] = p;
    owner.teardown(() => stopProc(p));
  };
  interface Status {
    cluster: { name: string; status: string; peers: { name: string }[] };
  }
  const status = async (i: number) => {
    try {
      const r = await fetch(`${url(i)}/api/v2/status`, { signal: AbortSignal.timeout(1000) });
      return r.ok ? ((await r.json()) as Status) : undefined;
    } catch {
      return undefined;
    }
  };
  /** Both members ready (settled) and seeing each other: returns which one notifies first. */
  const clustered = () =>
    waitFor(
      'both Alertmanagers in one settled cluster',
      async () => {
        const s = await Promise.all([status(0), status(1)]);
        if (!s.every((x) => x?.cluster.status === 'ready' && x.cluster.peers.length === 2)) return undefined;
        // Position 0 (no wait before notifying) is the first peer name in sort order.
        const first = s[0]!.cluster.peers.map((p) => p.name).sort()[0];
        return s[0]!.cluster.name === first ? 0 : 1;
      },
      120_000,
      100,
    );
  // Prometheus's side: every firing alert to every Alertmanager, at once and every 60 s.
  const firing: Firing[] = [];
  const post = (alerts: Firing[]) => {
    const endsAt = new Date(Date.now() + 4 * 60_000).toISOString(); // Prometheus: 4 × resend delay
    const body = JSON.stringify(alerts.map((a) => ({ ...a, endsAt })));
    return Promise.all(
      [0, 1].map((i) =>
        fetch(`${url(i)}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined),
      ),
    );
  };
  const resend = setInterval(() => void post(firing), 60_000);
  owner.teardown(() => clearInterval(resend));

  startAm(0);
  startAm(1);
  const toNotify: number[] = [];
  for (let run = 0; run < AM_RUNS; run++) {
    const first = await clustered();
    const victim = ams[first]!;
    const alert: Firing = { labels: { alertname: 'BenchFault', run: `am-${run}` }, startsAt: new Date().toISOString() };
    const at = Date.now();
    victim.child.kill('SIGKILL');
    firing.push(alert);
    await post([alert]);
    await victim.exited;
    const got = await waitFor(`the notification for am-${run}`, () => arrivals.get(`am-${run}`)?.[0], 120_000, 5);
    toNotify.push((got.at - at) * 1000);
    console.error(`alertmanager run ${run + 1}: killed instance ${first}; am-${run} notified after ${got.at - at} ms by ${got.from}`);
    startAm(first);
  }
  await clustered();
  console.error(`alertmanager: ${QUIET_S} s quiet (resends reach the restarted instance)`);
  await sleep(QUIET_S * 1000);
  const bySender = new Map<string, number>();
  for (const list of arrivals.values()) for (const a of list) bySender.set(a.from, (bySender.get(a.from) ?? 0) + 1);
  return { toNotify, perAlert: Array.from({ length: AM_RUNS }, (_, i) => arrivals.get(`am-${i}`)?.length ?? 0), bySender };
}

async function main(): Promise<void> {
  const fw: FloorwatchResult = RUNS > 0 ? await floorwatchPair() : { takeover: [], toPage: [], perFault: [], otherPages: 0, overlaps: [] };
  const am = await alertmanagerPair();
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const amVersion = execFileSync(AM_BIN, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  const dupes = (xs: number[]) => xs.reduce((s, n) => s + Math.max(0, n - 1), 0);
  const none = (xs: number[]) => xs.filter((n) => n === 0).length;
  console.log(`\nBrain pair take-over beside an Alertmanager cluster; one kill per run of the member that pages/notifies`);
  console.log(
    `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${amVersion}, load average now ${load}`,
  );
  console.log(
    `floorwatch: heartbeat ${HB_MS} ms × 2 missed, ${RUNS} kills; Alertmanager: 2 instances, defaults (peer timeout 15 s), ${AM_RUNS} kills\n`,
  );
  console.log('| path | p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|');
  console.log(`| floorwatch: kill → new primary (role log) | ${stat(fw.takeover)} |`);
  console.log(`| floorwatch: kill → page for a fault at the kill (hfaxd queue) | ${stat(fw.toPage)} |`);
  console.log(`| Alertmanager: kill → notification of an alert at the kill (webhook) | ${stat(am.toNotify)} |`);
  const ratio = (p: number) => (pct(am.toNotify, p) / pct(fw.toPage, p)).toFixed(1);
  console.log(`\ndelivery after a kill, Alertmanager ÷ floorwatch: p50 ${ratio(50)}×, p99 ${ratio(99)}×`);
  console.log(
    `floorwatch pages per fault: ${JSON.stringify(fw.perFault)}: ${dupes(fw.perFault)} duplicates, ${none(fw.perFault)} never paged; PairLegDown and other pages: ${fw.otherPages}`,
  );
  console.log(`floorwatch role logs: instants with two primaries: ${fw.overlaps.length ? fw.overlaps.join('; ') : 'none'}`);
  console.log(
    `Alertmanager notifications per alert (after ${QUIET_S} s quiet): ${JSON.stringify(am.perAlert)}: ${dupes(am.perAlert)} duplicates, ${none(am.perAlert)} never notified; by sender ${JSON.stringify(Object.fromEntries(am.bySender))}`,
  );
  if (fw.perFault.some((n) => n !== 1) || fw.overlaps.length)
    throw new Error('a fault was not paged exactly once, or two primaries overlapped');
}

await runBench(
  main,
  async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    await snpp?.stop();
    rmSync(dir, { recursive: true, force: true });
  },
  budget,
  dir,
);
