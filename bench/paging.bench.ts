/**
 * Fault → page (issue #6): a wrapped process is SIGKILLed; floorwatch detects it, opens an
 * incident, waits its settle window (`paging.settle_ms`, default 250 ms) and pages the on-call
 * through a real HylaFAX `hfaxd` SNPP server, and mails the client list its first status update
 * through a real SMTP server (smtp-server). Side by side, the same fault seen by Prometheus +
 * Alertmanager tuned as fast as they go (bench/lib/prom-stack.ts) ends at their webhook receiver.
 *
 * floorwatch times are the brain's own stamps (it runs in this process, one clock): the
 * `delivered by snpp` / `delivered by email` timeline entries, written when the gateway answered
 * 250 to SEND / the SMTP server accepted the DATA. The pages are then read back from hfaxd's
 * queue and the mails from the SMTP server, and counted.
 *
 * Run (root: Debian packages): flock /tmp/fw-bench.lock node --import tsx bench/paging.bench.ts [--runs 20] [--settle-ms 250]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseBrainConfig } from '../brain/config.js';
import { startBrain } from '../brain/main.js';
import type { BrainEvent } from '../brain/state/event-log.js';
import type { Incident } from '../brain/incidents/incident.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/log.js';
import { ALICE_ON_CALL } from '../test/helpers/oncall.js';
import { startHfaxdSnpp, type HfaxdSnpp } from '../test/helpers/snpp-hfaxd.js';
import { startSmtpSink, type SmtpSink } from '../test/helpers/smtp-sink.js';
import { wrappedArgs } from '../test/helpers/floorwatch.js';
import { freePort } from '../test/helpers/wait.js';
import { floorwatch, killAll, runBench, sleep, stopProc, TARGET_JS, waitFor } from './lib/procs.js';
import { startPromStack, type PromStack } from './lib/prom-stack.js';
import { alwaysOpenCalendar } from '../test/helpers/calendar.js';
import { ms, pct, stat } from './lib/stats.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RUNS = Number(arg('runs', '20'));
const SETTLE_MS = Number(arg('settle-ms', '250'));
const TIMEOUT_MS = 15_000;
const BUDGET_MS = (120 + RUNS * 15) * 1000;
const nowUs = () => systemClock.nowUs();

const dir = mkdtempSync(join(tmpdir(), 'fw-paging-bench-'));
const cleanups: (() => Promise<void>)[] = [];
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  killAll();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));
const budget = setTimeout(() => {
  console.error(`paging bench: over its ${BUDGET_MS / 1000} s budget; cleaning up`);
  void cleanup().finally(() => process.exit(2));
}, BUDGET_MS);
budget.unref();

interface Sample {
  /** µs from the fault to: the alert, the incident opened, the page accepted by hfaxd, the mail accepted by the SMTP server. */
  alert: number;
  incident: number;
  page: number;
  mail: number;
  /** µs from the fault to the page's outbox record (fsynced; after the settle window). */
  pageQueued?: number;
  /** Each run's incident, to find its outbox records. */
  incidentId: string;
  /** µs from the fault to the Alertmanager webhook arriving here. */
  prom: number;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const snpp: HfaxdSnpp = await startHfaxdSnpp();
  cleanups.push(() => snpp.stop());
  const smtp: SmtpSink = await startSmtpSink();
  cleanups.push(() => smtp.stop());
  writeFileSync(`${dir}/calendar.yaml`, alwaysOpenCalendar());
  writeFileSync(`${dir}/oncall.yaml`, ALICE_ON_CALL);
  const brain = await startBrain(
    parseBrainConfig(`brain: {state_dir: ${dir}/brain}
listen: 127.0.0.1:0
http: 127.0.0.1:0
spool: {fsync: false}
rules: {calendar: ${dir}/calendar.yaml}
paging:
  schedule: ${dir}/oncall.yaml
  settle_ms: ${SETTLE_MS}
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 3600, max_repeats: 0}
  snpp: {host: 127.0.0.1, port: ${snpp.port}, login: floorwatch}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  client_updates:
    every_s: 900
    impacting: {severity: [info, warning, minor, major, critical]}
    clients: [{id: desk, name: Trading desk, email: desk@client.example}]
`),
    silentLogger,
  );
  cleanups.push(() => brain.stop());
  const seen: BrainEvent[] = [];
  brain.events.subscribe((e) => {
    if (e.kind !== 'alert.firing' && e.kind !== 'process.start') return;
    seen.push(e);
    if (seen.length > 5000) seen.splice(0, 1000);
  });
  const findEvent = (kind: string, name: string, afterUs = 0) =>
    seen.find((e) => e.kind === kind && e.receivedUs >= afterUs && e.tags['process'] === name);
  const incidentOf = (name: string): Incident | undefined => {
    for (const s of brain.incidents.list({ status: 'active', limit: 1000 })) {
      const inc = brain.incidents.get(s.id);
      if (inc.roots.some((r) => r.labels['process'] === name)) return inc;
    }
    return undefined;
  };
  const stamp = (inc: Incident, re: RegExp) => inc.timeline.find((e) => re.test(e.text))?.at;

  const socket = `${dir}/agent.sock`;
  writeFileSync(
    `${dir}/agent.yaml`,
    `agent: {id: bench-host, state_dir: ${dir}/agent}\nbrain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}\nsamplers: {local: {path: ${socket}}}\n`,
  );
  const agent = floorwatch(['agent', '--config', `${dir}/agent.yaml`]);
  cleanups.push(() => stopProc(agent));
  await waitFor(
    'agent ready',
    () =>
      agent.lines.some((l) => l.includes('"ready":"agent"')) ||
      (agent.child.exitCode !== null && Promise.reject(new Error(agent.stderr.join('\n')))),
    30_000,
    20,
  );

  const prom: PromStack = await startPromStack({
    dir,
    rules: '      - alert: TargetDown\n        expr: up{job="target"} == 0\n        for: 0s\n',
  });
  cleanups.push(() => prom.stop());
  console.error(`setup ${(Date.now() - t0) / 1000} s`);

  const samples: Sample[] = [];
  const misses: string[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const name = `pg-${i}`;
    const port = await freePort();
    const wrapper = floorwatch(wrappedArgs({ name, socket, dir }, [process.execPath, '-e', TARGET_JS, String(port)]));
    try {
      await waitFor(
        `${name} listening`,
        async () => (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.ok,
        30_000,
        20,
      );
      prom.writeSd(prom.targetsFile, port, name);
      const started = await waitFor(`${name} process.start`, () => findEvent('process.start', name), 30_000);
      await waitFor(`${name} up in Prometheus`, async () => (await prom.query(`up{run="${name}"} == 1`)) > 0, 20_000, 100);
      await sleep(200 + Math.random() * 1000); // lands the fault anywhere in Prometheus's 1 s cycle
      const fault = nowUs();
      process.kill(Number(started.attrs['pid'] ?? started.values['pid']), 'SIGKILL');
      const [delivered, hook] = await Promise.all([
        waitFor(
          `${name} page and mail delivered`,
          () => {
            const inc = incidentOf(name);
            const page = inc && stamp(inc, /^delivered by snpp \(.*\/page\//);
            const mail = inc && stamp(inc, /^delivered by email \(.*\/status\//);
            return inc && page !== undefined && mail !== undefined ? { inc, page, mail } : undefined;
          },
          TIMEOUT_MS,
        ).catch((err: Error) => void misses.push(`run ${i}: ${err.message}`)),
        waitFor(`${name} webhook`, () => prom.hooks.get(`TargetDown/${name}`)?.find((h) => h.atUs >= fault), TIMEOUT_MS).catch(
          (err: Error) => void misses.push(`run ${i}: ${err.message}`),
        ),
      ]);
      const alert = findEvent('alert.firing', name, fault);
      if (delivered && hook && alert) {
        samples.push({
          alert: alert.receivedUs - fault,
          incident: delivered.inc.openedAt * 1000 - fault,
          page: delivered.page * 1000 - fault,
          mail: delivered.mail * 1000 - fault,
          incidentId: delivered.inc.id,
          prom: hook.atUs - fault,
        });
        const queuedAt = outboxEnqueued(`${dir}/brain/outbox.jsonl`).get(`${delivered.inc.id}/0/page/alice`);
        if (queuedAt !== undefined) samples[samples.length - 1]!.pageQueued = queuedAt * 1000 - fault;
      }
    } catch (err) {
      misses.push(`run ${i}: ${(err as Error).message}`);
    }
    await stopProc(wrapper);
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  // Read back what the servers hold: one page and one mail per run, none twice.
  const queued = snpp.pages().filter((p) => /pg-\d+/.test(p.text));
  const statusMails = smtp.mails.filter((m) => m.parsed.headers.get('x-floorwatch-kind') === 'status');
  const pagesPerRun = new Set(queued.map((p) => /pg-\d+/.exec(p.text)![0]));
  report(samples, misses, {
    pages: queued.length,
    distinct: pagesPerRun.size,
    mails: statusMails.length,
    fallbackMails: smtp.mails.filter((m) => m.parsed.headers.get('x-floorwatch-kind') === 'page').length,
  });
  console.error(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** The outbox's enqueue stamps (ms) by key. */
function outboxEnqueued(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { t: string; k: string; at: number };
    if (r.t === 'enq') out.set(r.k, r.at);
  }
  return out;
}

function report(xs: Sample[], misses: string[], counts: { pages: number; distinct: number; mails: number; fallbackMails: number }): void {
  const col = (f: (s: Sample) => number) => xs.map(f);
  console.log(
    `\nFault (SIGKILL of a wrapped process) → notification accepted, ms (${xs.length} of ${RUNS} runs; p99 of 20 is the max). settle_ms ${SETTLE_MS}. ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.\n`,
  );
  console.log('| path | p50 | p99 | max |');
  console.log('|---|---|---|---|');
  console.log(`| floorwatch: fault → alert (rules) | ${stat(col((s) => s.alert))} |`);
  console.log(`| floorwatch: fault → incident opened (ms stamp) | ${stat(col((s) => s.incident))} |`);
  const queued = xs.filter((s) => s.pageQueued !== undefined);
  console.log(`| floorwatch: fault → page in the outbox (after settle, fsynced) | ${stat(queued.map((s) => s.pageQueued!))} |`);
  console.log(
    `| floorwatch: outbox → page accepted (SNPP session: connect, hfaxd spawned per connection, PAGE/MESS/SEND) | ${stat(queued.map((s) => s.page - s.pageQueued!))} |`,
  );
  console.log(`| floorwatch: fault → page accepted by hfaxd (SNPP 250 to SEND) | ${stat(col((s) => s.page))} |`);
  console.log(`| floorwatch: fault → status mail accepted by the SMTP server | ${stat(col((s) => s.mail))} |`);
  console.log(`| Prometheus + Alertmanager: fault → webhook received | ${stat(col((s) => s.prom))} |`);
  const page99 = pct(
    col((s) => s.page),
    99,
  );
  const r50 =
    pct(
      col((s) => s.prom),
      50,
    ) /
    pct(
      col((s) => s.page),
      50,
    );
  const r99 =
    pct(
      col((s) => s.prom),
      99,
    ) / page99;
  console.log(
    `\nPage vs webhook: ${r50.toFixed(1)}× at p50, ${r99.toFixed(1)}× at p99. Target p99 < 500 ms to the pager gateway: ${page99 < 500_000 ? 'met' : 'MISSED'} (${ms(page99)} ms).`,
  );
  console.log(
    `Page minus settle window: p50 ${ms(
      pct(
        col((s) => s.page - SETTLE_MS * 1000),
        50,
      ),
    )}, p99 ${ms(
      pct(
        col((s) => s.page - SETTLE_MS * 1000),
        99,
      ),
    )} ms.`,
  );
  console.log(
    `Read back: ${counts.pages} pages in hfaxd's queue for ${counts.distinct} distinct runs; ${counts.mails} status mails at the SMTP server; ${counts.fallbackMails} page mails (fallback) — expected ${RUNS}, ${RUNS}, ${RUNS}, 0.`,
  );
  if (misses.length) console.log(`\n${misses.length} misses:\n${misses.map((m) => `- ${m}`).join('\n')}`);
  console.log(`\nraw (ms, page / mail / webhook): ${xs.map((s) => `${ms(s.page)}/${ms(s.mail)}/${ms(s.prom)}`).join(' ')}`);
}

await runBench(main, cleanup, budget, dir);
