/**
 * Retention against a real influxd 1.6: the brain sets up the database, the raw policy and the
 * downsampled tiers with their continuous queries at start-up; a second start changes nothing;
 * the downsampled tiers fill (with the field names kept), from the brain's own `brain` points.
 */
import t from 'tap';
import { pino } from 'pino';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { continuousQueries, ensureRetention, type InfluxqlRunner, type RetentionConfig } from '../../../brain/store/retention.js';
import { ConfigError } from '../../../lib/errors.js';
import { influxdAvailable, influxql, startInfluxd, type Influxd } from '../../helpers/influxd.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitWhileProgressing } from '../../helpers/wait.js';

const RETENTION = `{raw: {duration: 1h, shard_duration: 1h}, downsample: [{name: rp_2s, every: 2s, duration: 1h}, {name: rp_4s, every: 4s, duration: 2h}]}`;

function brainConfig(dir: string, influx: Influxd, retention = RETENTION) {
  return parseBrainConfig(
    [
      `brain: {id: retention-test, state_dir: ${dir}}`,
      'listen: 127.0.0.1:0',
      'http: 127.0.0.1:0',
      'rules: {enabled: false}',
      `store: {kind: influx-v1, url: "${influx.url}", db: fw_retention, self_metrics_every_ms: 200, retention: ${retention}}`,
    ].join('\n'),
  );
}

/** A logger whose records the test reads. */
function recordingLogger() {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, records };
}

/** The statements the retention set-up logged it executed, once it has. */
const executedOf = (records: Record<string, unknown>[]) =>
  records.find((l) => Array.isArray(l['executed']))?.['executed'] as string[] | undefined;

const show = async (influx: Influxd) => ({
  rps: await influx.query('SHOW RETENTION POLICIES ON fw_retention', 'fw_retention'),
  cqs: (await influx.query('SHOW CONTINUOUS QUERIES', 'fw_retention')).filter((s) => s.name === 'fw_retention'),
});

t.test('retention set up at start, unchanged by a second start, downsampled tiers fill', async (t) => {
  const available = await influxdAvailable();
  if (!available.ok) return void t.skip(available.reason, () => {});
  const influx = await startInfluxd({ db: 'unused' });
  t.teardown(() => influx.stop());
  const dir = scratchDir(t);

  const first = recordingLogger();
  let brain = await startBrain(brainConfig(dir, influx), first.log);
  t.teardown(() => brain.stop());
  const setUp = await waitWhileProgressing(
    'the brain to set up retention',
    () => executedOf(first.records),
    () => first.records.length,
  );
  t.ok(
    setUp.some((s) => s.startsWith('CREATE DATABASE')),
    'the database was created',
  );
  t.ok(
    setUp.some((s) => /^CREATE RETENTION POLICY "raw" .* DURATION 1h .* DEFAULT$/.test(s)),
    'raw policy created as the default',
  );
  const before = await show(influx);
  const rps = Object.fromEntries(before.rps[0]!.values.map((v) => [v[0], { duration: v[1], isDefault: v[4] }]));
  t.same(rps['raw'], { duration: '1h0m0s', isDefault: true }, 'raw keeps 1h and takes the writes');
  t.same(rps['rp_2s'], { duration: '1h0m0s', isDefault: false });
  t.same(rps['rp_4s'], { duration: '2h0m0s', isDefault: false });
  const cqNames = before.cqs[0]?.values.map((v) => String(v[0])).sort() ?? [];
  const config = brainConfig(dir, influx).store.retention;
  t.same(cqNames, [...continuousQueries('fw_retention', config).keys()].sort(), 'one continuous query per measurement and tier');
  t.match(
    String(before.cqs[0]!.values.find((v) => String(v[0]).startsWith('fw_rp_4s_brain_'))?.[1]),
    /FROM fw_retention\.rp_2s\.brain/,
    'the 4s tier is made from the 2s tier',
  );

  // The brain's own points (every 200 ms) fill raw, then each tier, under their own field names.
  const written = await fetch(`${influx.url}/write?db=fw_retention&rp=raw`, { method: 'POST', body: 'synthetic,agent=t f1=5' });
  t.equal(written.status, 204, 'a synthetic point written to raw');
  for (const [rp, field] of [
    ['rp_2s', 'samples_total'],
    ['rp_4s', 'rss_bytes'],
    ['rp_2s', 'mean_f1'],
  ] as const) {
    const m = field === 'mean_f1' ? 'synthetic' : 'brain';
    const count = await waitWhileProgressing(
      `${rp}.${m}.${field} to fill (progress: the brain's raw points)`,
      async () => (await influx.scalar(`SELECT count("${field}") FROM "${rp}"."${m}"`, 'fw_retention')) || undefined,
      () => influx.scalar(`SELECT count("samples_total") FROM raw.brain`, 'fw_retention'),
    );
    t.ok(count > 0, `${rp}.${m}.${field}: ${count} downsampled points`);
  }

  await brain.stop();
  const second = recordingLogger();
  brain = await startBrain(brainConfig(dir, influx), second.log);
  const again = await waitWhileProgressing(
    'the second start to check retention',
    () => executedOf(second.records),
    () => second.records.length,
  );
  t.same(again, [], 'the second start executed nothing');
  t.same(await show(influx), before, 'policies and continuous queries are as they were');
  await brain.stop();
});

t.test('a changed config is applied: durations altered, stale continuous queries replaced', async (t) => {
  const available = await influxdAvailable();
  if (!available.ok) return void t.skip(available.reason, () => {});
  const influx = await startInfluxd({ db: 'fw_change' });
  t.teardown(() => influx.stop());
  const run: InfluxqlRunner = (s) =>
    influxql(influx.url, s, 'fw_change').then((series) => series.map((x) => ({ ...x, values: x.values ?? [] })));
  const config: RetentionConfig = {
    raw: { name: 'raw', duration: '2h', shard_duration: '1h' },
    downsample: [{ name: 'rp_1m', every: '1m', duration: '4h' }],
  };
  await ensureRetention(run, 'fw_change', config);
  t.same(await ensureRetention(run, 'fw_change', config), [], 'idempotent');
  const changed: RetentionConfig = { raw: { ...config.raw, duration: '3h' }, downsample: [{ name: 'rp_1m', every: '5m', duration: '4h' }] };
  const executed = await ensureRetention(run, 'fw_change', changed);
  t.ok(executed.includes('ALTER RETENTION POLICY "raw" ON "fw_change" DURATION 3h SHARD DURATION 1h DEFAULT'), 'raw altered');
  t.equal(
    executed.filter((s) => s.startsWith('DROP CONTINUOUS QUERY')).length,
    continuousQueries('fw_change', config).size,
    'every old CQ dropped',
  );
  t.equal(
    executed.filter((s) => s.startsWith('CREATE CONTINUOUS QUERY')).length,
    continuousQueries('fw_change', changed).size,
    'every new CQ created',
  );
  t.same(await ensureRetention(run, 'fw_change', changed), [], 'idempotent again');
});

t.test('bad retention config names the file line and field', async (t) => {
  const cases: [string, RegExp][] = [
    ['{raw: {duration: 30m}}', /store\.retention\.raw\.duration: InfluxDB keeps data at least 1h/],
    ['{raw: {duration: 7 days}}', /store\.retention\.raw\.duration/],
    [
      '{downsample: [{name: a, every: 1h, duration: 90d}, {name: b, every: 1m, duration: 1y}]}',
      /store\.retention\.downsample\.1\.duration/,
    ],
    [
      '{downsample: [{name: a, every: 1h, duration: 90d}, {name: b, every: 1m, duration: 365d}]}',
      /store\.retention\.downsample\.1\.every: must be coarser/,
    ],
    [
      '{downsample: [{name: a, every: 1m, duration: 1d}]}',
      /downsample\.0\.duration: a downsampled tier must keep its data at least as long/,
    ],
    ['{downsample: [{name: raw, every: 1m, duration: 90d}]}', /downsample\.0\.name: "raw" is used twice/],
  ];
  for (const [retention, expected] of cases) {
    const text = `store:\n  kind: influx-v1\n  retention: ${retention}\n`;
    const err = catchError(() => parseBrainConfig(text, 'brain.yaml'));
    t.ok(err instanceof ConfigError, `${retention}: refused`);
    t.match(err?.message, /brain\.yaml:3: /, 'on the line of retention');
    t.match(err?.message, expected);
  }
  t.throws(
    () => parseBrainConfig('store: {kind: influx-v1, rp: autogen}', 'brain.yaml'),
    /store\.rp: writes go to the raw retention policy "raw"/,
  );
  t.doesNotThrow(
    () => parseBrainConfig('store: {kind: influx-v1, rp: autogen, retention: {enabled: false}}', 'brain.yaml'),
    'rp allowed when retention is not managed',
  );
});

function catchError(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}
