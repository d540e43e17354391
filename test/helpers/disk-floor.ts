/**
 * A small floor for the full-disk scenarios (test/scenarios/state-disk-full.test.ts and
 * agent-disk-full.test.ts): one brain storing to a real InfluxDB and paging a real SNPP server,
 * agents of the synthetic sampler only, with state directories the test puts where it likes (on a
 * small real filesystem); and the exact-count check both end with.
 */
import type { Test } from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { floorwatch, getJson, scratchDir, writeYaml, type FloorwatchProcess } from './floorwatch.js';
import type { Influxd } from './influxd.js';
import { ALICE_ON_CALL } from './oncall.js';
import { alwaysOpenCalendar } from './calendar.js';
import { freePort, waitWhileProgressing } from './wait.js';

export interface DiskIncident {
  id: string;
  title: string;
  status: string;
  timeline: { kind: string; text: string }[];
}

export interface DiskFloor {
  http: number;
  db: string;
  brain: FloorwatchProcess;
  agents: Map<string, FloorwatchProcess>;
}

export interface DiskFloorOptions {
  /** The brain's state directory (default: a scratch one). */
  brainState?: string;
  /** Extra top-level lines of the brain's config (e.g. `spool: {...}`). */
  brainExtra?: string;
  /** `queue`: the agent's `queue:` section, when not the default. */
  agents: { id: string; stateDir: string; queue?: string }[];
  snppPort: number;
}

export const floorApi = <T>(f: DiskFloor, path: string) => getJson<T>(`http://127.0.0.1:${f.http}${path}`);

export async function startDiskFloor(t: Test, influx: Influxd, opts: DiskFloorOptions): Promise<DiskFloor> {
  const dir = scratchDir(t);
  const [grpc, http] = [await freePort(), await freePort()];
  const db = `disk_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const brainConfig = writeYaml(
    dir,
    'brain.yaml',
    `brain: {id: disk-brain, state_dir: ${opts.brainState ?? join(dir, 'brain')}}
listen: 127.0.0.1:${grpc}
http: 127.0.0.1:${http}
access: {anonymous_read: true}
store: {kind: influx-v1, url: "${influx.url}", db: ${db}, batch_lines: 2000, timeout_ms: 2000}
${opts.brainExtra ?? ''}
rules: {calendar: ${writeYaml(dir, 'calendar.yaml', alwaysOpenCalendar())}}
paging:
  schedule: ${writeYaml(dir, 'oncall.yaml', ALICE_ON_CALL)}
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 600, max_repeats: 0}
  snpp: {host: 127.0.0.1, port: ${opts.snppPort}, login: floorwatch}
`,
  );
  const brain = floorwatch(['brain', '--config', brainConfig]);
  const f: DiskFloor = { http, db, brain, agents: new Map() };
  t.teardown(async () => {
    await Promise.all([...f.agents.values()].map((a) => a.kill('SIGKILL')));
    await f.brain.kill('SIGKILL');
  });
  await brain.line((l) => l['ready'] === 'brain');
  for (const a of opts.agents) {
    const config = writeYaml(
      dir,
      `${a.id}.yaml`,
      `agent: {id: ${a.id}, host: ${a.id}, state_dir: ${a.stateDir}, labels: {floor: test}}
brain: {addresses: ["127.0.0.1:${grpc}"]}
interval_ms: 100
flush_ms: 100
${a.queue ? `queue: ${a.queue}\n` : ''}samplers: {synthetic: {enabled: true, series: 40}}
`,
    );
    const agent = floorwatch(['agent', '--config', config]);
    f.agents.set(a.id, agent);
    await agent.line((l) => l['ready'] === 'agent');
  }
  return f;
}

export async function ackedSeq(f: DiskFloor, id: string): Promise<number> {
  const agents = await floorApi<{ id: string; acked_seq: number }[]>(f, '/api/agents');
  return agents.find((a) => a.id === id)?.acked_seq ?? 0;
}

/** The agent's synthetic and own `agent` samples InfluxDB holds. */
export async function storedCount(influx: Influxd, db: string, agent: string): Promise<number> {
  const series = await influx.query(`SELECT count(*) FROM "synthetic", "agent" WHERE "agent" = '${agent}'`, db).catch(() => []);
  let n = 0;
  for (const s of series) for (const row of s.values) for (const v of row.slice(1)) n += typeof v === 'number' ? v : 0;
  return n;
}

/** Stops every agent cleanly; InfluxDB must then hold exactly what each says it produced. */
export async function expectExactCounts(t: Test, influx: Influxd, f: DiskFloor): Promise<void> {
  for (const [id, agent] of f.agents) {
    const { code } = await agent.kill('SIGTERM');
    const stopped = await agent.line<{ drained: boolean; cumulative_samples: number }>((l) => l['stopped'] === 'agent');
    t.equal(code, 0, `${id} exits 0`);
    t.ok(stopped.drained, `${id} drained its queue before stopping`);
    const expected = stopped.cumulative_samples;
    await waitWhileProgressing(
      `InfluxDB to hold the ${expected} samples of ${id}`,
      async () => ((await storedCount(influx, f.db, id)) >= expected ? true : undefined),
      () => storedCount(influx, f.db, id),
    ).catch(() => undefined);
    const stored = await storedCount(influx, f.db, id);
    t.equal(stored, expected, `${id}: InfluxDB holds exactly the ${expected} samples produced (no loss, no duplicate)`);
  }
  f.agents.clear();
}

/** Every file under `root` is 0600 and every directory 0700 (a file renamed away meanwhile is skipped). */
export function expectPrivate(t: Test, root: string, dir = root): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    const mode = stat.mode & 0o777;
    const want = stat.isDirectory() ? 0o700 : 0o600;
    t.equal(mode.toString(8), want.toString(8), `${relative(root, path)} is private (${mode.toString(8)})`);
    if (stat.isDirectory()) expectPrivate(t, root, path);
  }
}
