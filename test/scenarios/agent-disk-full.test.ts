/**
 * Issue #13 item 7's must-show, the agent's half: an agent whose state directory (its disk queue,
 * series dictionary and offsets) is on a small real filesystem (a loop-mounted ext4 image of a few
 * MB) that fills during sampling. Real brain and agent processes, real InfluxDB, a real SNPP
 * server for the page.
 *
 * The agent stays up; the batches it cannot make durable wait in its bounded hold buffer and are
 * not sent (the brain acknowledges only what the agent's queue holds, so log offsets and batch
 * seqs stay exact); it tells the brain over the stream (not through the queue it cannot write), and
 * the brain opens one incident "state disk full on HOST" and pages it once. Once space is freed
 * the agent writes what it held, resolves the incident, and InfluxDB holds exactly what the agent
 * produced. A second agent's hold buffer is set small, so it drops: the drops are counted, and the
 * count reaches InfluxDB as the agent's own `agent` measurement.
 */
import t from 'tap';
import { join } from 'node:path';
import type { FloorwatchProcess } from '../helpers/floorwatch.js';
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
import { influxdAvailable, startInfluxd, type Influxd } from '../helpers/influxd.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../helpers/snpp-hfaxd.js';
import { smallFs, smallFsAvailable } from '../helpers/small-fs.js';
import { waitFor } from '../helpers/wait.js';

for (const a of [smallFsAvailable(), await influxdAvailable(), await hfaxdAvailable()]) if (!a.ok) t.skip(a.reason, () => {});

/** The newest value of one field of the agent's own `agent` measurement, as InfluxDB holds it. */
async function selfStat(influx: Influxd, db: string, agent: string, field: string): Promise<number> {
  const series = await influx.query(`SELECT last("${field}") FROM "agent" WHERE "agent" = '${agent}'`, db).catch(() => []);
  const v = series[0]?.values[0]?.[1];
  return typeof v === 'number' ? v : 0;
}

async function diskIncidents(f: DiskFloor, status: 'active' | 'resolved', host: string): Promise<DiskIncident[]> {
  const list = await floorApi<DiskIncident[]>(f, `/api/incidents?status=${status}`);
  return list.filter((i) => i.title === `state disk full on ${host}`);
}

const fatalOrStack = (p: FloorwatchProcess) => p.stderr.filter((l) => /"level":60|^\s+at /.test(l));

t.test('agent state disk full', async (t) => {
  const influx = await startInfluxd();
  t.teardown(() => influx.stop());
  const snpp = await startHfaxdSnpp();
  t.teardown(() => snpp.stop());

  t.test("an agent's queue disk fills during sampling: it stays up, holds, tells the brain, resumes, loses nothing", async (t) => {
    const disk = smallFs(t, 'agent', 6);
    const f = await startDiskFloor(t, influx, {
      // ws-full keeps everything in its hold buffer (the default bound); ws-small's bound is
      // small, so it drops the newest batches once the bound is reached, counted.
      agents: [
        { id: 'ws-full', stateDir: join(disk.dir, 'ws-full') },
        { id: 'ws-small', stateDir: join(disk.dir, 'ws-small'), queue: '{hold_max_bytes: 16384}' },
      ],
      snppPort: snpp.port,
    });
    const full = f.agents.get('ws-full')!;
    const small = f.agents.get('ws-small')!;
    await waitFor('samples in InfluxDB', async () => (await storedCount(influx, f.db, 'ws-full')) > 0, { timeoutMs: 30_000 });

    const filled = disk.fill();
    t.ok(filled > 0, `filled the agents' disk (${filled} bytes of filler, ${disk.freeBytes()} bytes left)`);

    const incident = await waitFor(
      'an incident for the full agent disk',
      async () => {
        if (full.child.exitCode !== null) throw new Error(`ws-full exited ${full.child.exitCode}: ${full.stderr.slice(-5).join('\n')}`);
        return (await diskIncidents(f, 'active', 'ws-full'))[0];
      },
      { timeoutMs: 30_000 },
    );
    t.equal(incident.title, 'state disk full on ws-full', 'the incident names the agent host');
    const event = full.stderr.find((l) => /queue disk full or failing/.test(l)) ?? '';
    t.match(event, /"code":"ENOSPC"/, `the agent logs the fault with its code: ${event.slice(0, 300)}`);

    // Nothing is sent before it is durable: the brain's acks stop where the agent's queue stopped.
    const frozen = await ackedSeq(f, 'ws-full');
    await new Promise((r) => setTimeout(r, 2000));
    t.equal(await ackedSeq(f, 'ws-full'), frozen, `no batch acknowledged while the agent cannot queue it (acked_seq stays ${frozen})`);

    const page = await waitFor('the page for the full agent disk', async () =>
      snpp.pages().find((p) => p.text.includes('state disk full on ws-full')),
    );
    t.match(page.text, /state disk full on ws-full/, `paged: ${page.text}`);
    await waitFor('ws-small to drop what its small hold buffer cannot take', async () =>
      small.stderr.some((l) => /hold buffer full: dropping/.test(l)),
    );
    // A second fault report (the stream reconnecting, another store failing) is still one incident.
    t.equal((await diskIncidents(f, 'active', 'ws-full')).length, 1, 'one incident for the host');
    const pagesWhileFull = snpp.pages().filter((p) => p.text.includes('state disk full on ws-full'));
    t.equal(pagesWhileFull.length, 1, `paged once for ws-full while its disk is full (${pagesWhileFull.length} pages)`);

    disk.free();
    await waitFor(
      'the incidents to resolve once the agents write again',
      async () =>
        (await diskIncidents(f, 'active', 'ws-full')).length === 0 &&
        (await diskIncidents(f, 'resolved', 'ws-full')).length === 1 &&
        (await diskIncidents(f, 'resolved', 'ws-small')).length === 1,
      { timeoutMs: 30_000 },
    );
    await waitFor('acks to move again', async () => (await ackedSeq(f, 'ws-full')) > frozen + 5, { timeoutMs: 30_000 });
    // After the resolution, at most its notice to the person paged (the escalation's 'resolved').
    const pages = snpp.pages().filter((p) => p.text.includes('state disk full on ws-full'));
    t.ok(pages.length <= 2, `no page beyond the opening one and the resolution's notice: ${pages.map((p) => p.text).join(' | ')}`);
    const dropped = await waitFor(
      "ws-small's drop count in InfluxDB",
      async () => (await selfStat(influx, f.db, 'ws-small', 'queue_hold_dropped_batches')) || undefined,
    );
    t.ok(dropped > 0, `ws-small's dropped batches are counted and exported (agent.queue_hold_dropped_batches = ${dropped})`);
    t.equal(await selfStat(influx, f.db, 'ws-full', 'queue_hold_dropped_batches'), 0, 'ws-full dropped nothing');

    for (const [id, agent] of f.agents) {
      t.equal(agent.child.exitCode, null, `${id} never stopped`);
      t.same(fatalOrStack(agent), [], `${id}: no fatal line and no raw stack trace`);
    }
    expectPrivate(t, join(disk.dir, 'ws-full'));
    await expectExactCounts(t, influx, f);
  });
});
