/**
 * Every query of every dashboard (panels, annotations, variables), taken from the committed JSON
 * with its template variables and time range filled in as Grafana would, runs against the
 * InfluxDB of a real demo floor (agents, plant, brain) after a few drills (a feed handler killed
 * and its incident acknowledged, a bond fail-over, a colour going dark, a FIX slowdown, an error
 * burst) and returns at least one non-empty series. One demo run serves every check; the same
 * results are rendered to PNG (render.ts).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import type { DemoLayout } from '../../cli/demo/layout.js';
import { JSON_DIR } from '../../dashboards/src/generate.js';
import { DEMO_CLI as cli, demoReady, operatorAuth, startDemo } from '../helpers/demo.js';
import { getJson } from '../helpers/floorwatch.js';
import { influxql, type InfluxqlSeries } from '../helpers/influxd.js';
import { waitFor, waitWhileProgressing } from '../helpers/wait.js';
import { dashboardQueries, interpolate, type DashboardJson, type Interpolation } from './queries.js';
import { renderDashboards } from './render.js';

if (!existsSync(cli)) t.skip('build first (npm test does)', () => {});
// A demo floor, five drills and five pictures: about two minutes here, more on a busy machine.
t.setTimeout(600_000);

/** What the test picks in the variables; the others are All. Two hosts: one has the plant, the other the bond, logs and FIX. */
const VALUES: Record<string, string[]> = { floor: ['ldn-1'], host: ['plant-host', 'srv-ldn-fix'] };
const DRILLS = ['kill-primary-fh', 'bond-failover', 'colour-dark', 'log-error-burst', 'fix-slowdown'];

const hasValue = (series: InfluxqlSeries[]) => series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null && v !== '')));

t.test('every panel query returns data from a real demo floor', async (t) => {
  const dashboards = readdirSync(JSON_DIR).map((f) => JSON.parse(readFileSync(join(JSON_DIR, f), 'utf8')) as DashboardJson);
  const startedMs = Date.now();
  const demo = await startDemo({ escalateAfterS: 2 });
  t.teardown(demo.kill);
  await demoReady(demo, 90_000);
  const layout = await getJson<DemoLayout>(`${demo.demoUrl}/api/demo/layout`);
  if (!layout.influxd) return void t.skip('the demo found no influxd', () => {});
  const { url, db } = layout.influxd;

  for (const drill of DRILLS) {
    const args = [cli, 'drill', drill, '--brain', demo.api, '--demo', demo.demoUrl, '--json'];
    // The feed handler's incident is acknowledged while it is open: escalation stops, the drill
    // waits for a second step that never comes, then restores the floor.
    const ack = drill === 'kill-primary-fh';
    args.push('--steps', ack ? '2' : '1', '--timeout', ack ? '8' : '45');
    const run = promisify(execFile)(process.execPath, args, { timeout: 150_000 }).catch((err: { stdout?: string }) => ({
      stdout: err.stdout ?? '',
    }));
    if (ack) await acknowledgeFirstIncident(demo.api, operatorAuth(demo));
    const result = JSON.parse((await run).stdout.trim().split('\n').at(-1) || '{}') as {
      incident?: { id: string; title: string };
      skipped?: string;
    };
    t.comment(`${drill}: ${result.skipped ?? result.incident?.id ?? 'no incident'} ${result.incident?.title ?? ''}`);
  }

  const queries = dashboards.flatMap((d) => dashboardQueries(d).map((q) => ({ d, q })));
  const range = (): Interpolation => {
    const toMs = Date.now() + 60_000;
    const fromMs = startedMs - 60_000;
    return { fromMs, toMs, intervalMs: Math.max(1000, Math.round((toMs - fromMs) / 300)), values: VALUES };
  };
  // The brain forwards through its spool: wait while more queries find their data.
  const run = async () => {
    const r = range();
    return Promise.all(
      queries.map(async ({ d, q }) => {
        const text = interpolate(d, q.query, r);
        const series = await influxql(url, text, db).catch((err: Error) => err);
        return { d, q, text, series };
      }),
    );
  };
  let results = await run();
  const missing = () => results.filter((r) => r.series instanceof Error || !hasValue(r.series)).length;
  await waitWhileProgressing(
    'every panel query to return data (progress: queries with data)',
    async () => ((results = await run()), missing() === 0),
    missing,
    {
      stallMs: 30_000,
    },
  ).catch(() => undefined);

  for (const r of results) {
    const where = `${r.d.title} / ${r.q.panel} (${r.q.refId})`;
    if (r.series instanceof Error) t.fail(`${where}: the query failed: ${r.series.message}`);
    else t.ok(hasValue(r.series), `${where}: ${r.series.length} series`, hasValue(r.series) ? {} : { query: r.text });
  }

  const pngDir = process.env['FLOORWATCH_DASHBOARD_PNGS'] ?? join(tmpdir(), `fw-dashboards-${process.pid}`);
  mkdirSync(pngDir, { recursive: true });
  const pngs = await renderDashboards(dashboards, range(), pngDir, (d, query) => influxql(url, interpolate(d, query, range()), db));
  for (const png of pngs) {
    t.ok(png.bytes > 20_000, `${png.file}: ${png.bytes} bytes`);
    t.equal(png.panels, png.expected, `${png.file}: every panel drawn (${png.panels} of ${png.expected})`);
    t.same(png.empty, [], `${png.file}: no panel drawn without data`);
  }
  t.equal(await demo.stop(), 0, 'the demo stops cleanly');
});

/** Acknowledges the first incident that opens, as an on-call engineer would from the console. */
async function acknowledgeFirstIncident(api: string, auth: { authorization: string }): Promise<void> {
  const before = new Set((await getJson<{ id: string }[]>(`${api}/api/incidents?status=all`)).map((i) => i.id));
  const id = await waitFor(
    'an incident to acknowledge',
    async () => (await getJson<{ id: string }[]>(`${api}/api/incidents?status=open`)).find((i) => !before.has(i.id))?.id,
    {
      timeoutMs: 60_000,
      everyMs: 100,
    },
  );
  const res = await fetch(`${api}/api/incidents/${id}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ note: 'looking' }),
  });
  if (!res.ok) throw new Error(`acknowledging ${id}: ${res.status} ${await res.text()}`);
}
