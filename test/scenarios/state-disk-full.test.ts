/**
 * Issue #13 item 7's must-show: a state disk that fills up during ingest, on a small real
 * filesystem (a loop-mounted ext4 image of a few MB, filled by a file until the kernel says
 * ENOSPC). Real brain and agent processes, real InfluxDB, a real SNPP server for the page.
 *
 * The brain's disk: it stays up (HTTP answers, it pages), the agents' samples wait in their own
 * queues (no ack while nothing can be made durable), an incident "state disk full on HOST" is
 * opened and paged without the outbox (which is on that disk), and once space is freed the brain
 * resumes by itself and InfluxDB holds exactly what the agents produced.
 */
import t from 'tap';
import { statSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { scratchDir } from '../helpers/floorwatch.js';
import {
  ackedSeq,
  expectExactCounts,
  expectPrivate,
  floorApi,
  startDiskFloor,
  storedCount,
  type DiskFloor,
  type DiskIncident,
} from '../helpers/disk-floor.js';
import { influxdAvailable, startInfluxd } from '../helpers/influxd.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../helpers/snpp-hfaxd.js';
import { smallFs, smallFsAvailable } from '../helpers/small-fs.js';
import { waitFor } from '../helpers/wait.js';

for (const a of [smallFsAvailable(), await influxdAvailable(), await hfaxdAvailable()]) if (!a.ok) t.skip(a.reason, () => {});

async function diskIncidents(f: DiskFloor, status: 'active' | 'resolved'): Promise<DiskIncident[]> {
  const list = await floorApi<DiskIncident[]>(f, `/api/incidents?status=${status}`);
  return list.filter((i) => i.title.includes('state disk full on'));
}

function queueBytes(agentState: string): number {
  const dir = join(agentState, 'queue');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.q'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

t.test('state disk full', async (t) => {
  const influx = await startInfluxd();
  t.teardown(() => influx.stop());
  const snpp = await startHfaxdSnpp();
  t.teardown(() => snpp.stop());

  t.test("the brain's state disk fills during ingest: it stays up, pages, holds back acks, resumes, loses nothing", async (t) => {
    const disk = smallFs(t, 'brain', 8);
    const brainState = join(disk.dir, 'brain');
    const scratch = scratchDir(t);
    const f = await startDiskFloor(t, influx, {
      brainState,
      brainExtra: 'spool: {max_held_bytes: 32768}',
      agents: ['ws-a', 'ws-b'].map((id) => ({ id, stateDir: join(scratch, id) })),
      snppPort: snpp.port,
    });
    await waitFor('samples in InfluxDB', async () => (await storedCount(influx, f.db, 'ws-a')) > 0, { timeoutMs: 30_000 });

    const filled = disk.fill();
    t.ok(filled > 0, `filled the brain's disk (${filled} bytes of filler, ${disk.freeBytes()} bytes left)`);
    const host = hostname();
    const incident = await waitFor('an incident for the full state disk', async () => (await diskIncidents(f, 'active'))[0], {
      timeoutMs: 30_000,
    });
    t.equal(incident.title, `state disk full on ${host}`, 'the incident names the brain host');

    const health = await floorApi<{
      status: string;
      store: { state_disk: { degraded: boolean; failing: { store: string; code: string }[] } };
    }>(f, '/api/health');
    t.equal(health.status, 'ok', 'HTTP answers');
    t.ok(health.store.state_disk.degraded, `the health says degraded: ${JSON.stringify(health.store.state_disk.failing)}`);
    t.ok(
      health.store.state_disk.failing.some((s) => s.store === 'spool' && s.code === 'ENOSPC'),
      'the spool is failing with ENOSPC',
    );

    // Nothing is acknowledged while nothing can be made durable: the agents keep their batches.
    const frozen = await ackedSeq(f, 'ws-a');
    const queuedBefore = queueBytes(join(scratch, 'ws-a'));
    await new Promise((r) => setTimeout(r, 2000));
    t.equal(await ackedSeq(f, 'ws-a'), frozen, `no ack while the disk is full (acked_seq stays ${frozen})`);
    const queuedAfter = queueBytes(join(scratch, 'ws-a'));
    t.ok(queuedAfter > queuedBefore, `the agent's samples wait in its own disk queue (${queuedBefore} → ${queuedAfter} bytes)`);
    const metrics = await (await fetch(`http://127.0.0.1:${f.http}/metrics`)).text();
    t.ok(
      metric(metrics, 'floorwatch_state_disk_errors_total', 'store="spool",code="ENOSPC"') > 0,
      'the errors are counted by store and code',
    );
    t.ok(metric(metrics, 'floorwatch_state_disk_degraded', 'store="spool"') === 1, 'the spool is degraded on /metrics');
    await waitFor('a batch refused once the held bytes are used', async () => {
      const m = await (await fetch(`http://127.0.0.1:${f.http}/metrics`)).text();
      return /^floorwatch_ingest_refused_batches_total (?!0$)\d+/m.test(m);
    });

    // The page goes out although the outbox is on the full disk, and the timeline says so.
    const page = await waitFor('the page for the full disk at the SNPP server', async () =>
      (await snpp.pages()).find((p) => p.text.includes('state disk full')),
    );
    t.match(page.text, new RegExp(`state disk full on ${host}`), `paged: ${page.text}`);
    const timeline = await waitFor('the delivery in the timeline', async () => {
      const inc = await floorApi<DiskIncident>(f, `/api/incidents/${incident.id}`);
      return inc.timeline.some((e) => /delivered by snpp/.test(e.text)) ? inc.timeline : undefined;
    });
    t.ok(
      timeline.some((e) => /outbox not writable \(ENOSPC\)/.test(e.text)),
      `the timeline says the page went without the outbox: ${timeline.map((e) => e.text).join(' | ')}`,
    );

    disk.free();
    await waitFor(
      'the incident to resolve once the disk writes again',
      async () => (await diskIncidents(f, 'active')).length === 0 && (await diskIncidents(f, 'resolved')).length > 0,
      { timeoutMs: 30_000 },
    );
    await waitFor('acks to move again', async () => (await ackedSeq(f, 'ws-a')) > frozen + 5, { timeoutMs: 30_000 });
    t.ok(f.brain.child.exitCode === null, 'the brain never stopped');
    t.notOk(
      f.brain.stderr.some((l) => /"level":60|^\s+at /.test(l)),
      'no fatal line and no raw stack trace',
    );

    expectPrivate(t, brainState);
    await expectExactCounts(t, influx, f);
  });
});
