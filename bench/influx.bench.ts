/**
 * Does the brain's InfluxV1Sink keep InfluxDB as busy as a bare line-protocol writer can?
 * Target: ≥ 90 % of the bare writer's points/s. One fresh influxd for the whole run; batches of
 * 5,000 points × 4 fields; 1 and 4 concurrent writers; each case bounded in time.
 *
 * Run: npx tsx bench/influx.bench.ts [--seconds=10] [--slice=1]
 *
 * Both writers send the very same pre-built bodies, so only the write path is measured. A body is
 * reused for later passes by sending it to another database (same work for InfluxDB, no
 * overwrites).
 */
import http from 'node:http';
import { InfluxV1Sink } from '../brain/store/influx-v1.js';
import { startInfluxd, type Influxd } from '../test/helpers/influxd.js';

const POINTS_PER_BATCH = 5000;
const FIELDS_PER_POINT = 4;
const DISTINCT_BATCHES = 60;
const MAX_PASSES = 60;
const BASE_US = 1795431000000000;

interface CaseResult {
  writer: 'bare' | 'sink';
  concurrency: number;
  points: number;
  seconds: number;
  pointsPerSecond: number;
}

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function buildBatch(index: number): string {
  const lines: string[] = [];
  for (let i = 0; i < POINTS_PER_BATCH; i++) {
    const n = index * POINTS_PER_BATCH + i;
    const host = `ws-ldn-${n % 50}`;
    lines.push(
      `nic,agent=a${n % 50},host=${host},iface=eth${n % 4},desk=fx\\ spot ` +
        `rx_bytes=${n * 1500.5},tx_bytes=${n * 700.25},rx_packets=${n},tx_drops=${n % 7} ${BASE_US + Math.floor(n / 200)}`,
    );
  }
  return lines.join('\n');
}

type WriteBatch = (database: string, body: string) => Promise<void>;

/** One writer's progress through the bodies: a pass over all of them goes to a new database. */
interface Cursor {
  label: string;
  databases: string[];
  next: number;
  points: number;
  seconds: number;
}

async function newCursor(influxd: Influxd, label: string): Promise<Cursor> {
  const databases = Array.from({ length: MAX_PASSES }, (_, pass) => `bench_${label}_${pass}`);
  for (const db of databases) await influxd.query(`CREATE DATABASE "${db}"`);
  return { label, databases, next: 0, points: 0, seconds: 0 };
}

/** `concurrency` workers take the next batch until the slice's deadline. */
async function runSlice(cursor: Cursor, bodies: readonly string[], concurrency: number, seconds: number, write: WriteBatch): Promise<void> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const index = cursor.next++;
      const database = cursor.databases[Math.floor(index / bodies.length)];
      if (database === undefined) throw new Error(`${cursor.label}: out of databases, raise MAX_PASSES`);
      await write(database, bodies[index % bodies.length]!);
      cursor.points += POINTS_PER_BATCH;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  cursor.seconds += (performance.now() - started) / 1000;
}

function bareWriter(url: string, concurrency: number): { write: WriteBatch; close: () => void } {
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const write: WriteBatch = (database, body) =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(body);
      const req = http.request(
        {
          hostname: base.hostname,
          port: base.port,
          method: 'POST',
          path: `/write?db=${database}&precision=u`,
          agent,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': payload.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`bare write: ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { write, close: () => agent.destroy() };
}

function sinkWriter(url: string, concurrency: number): { write: WriteBatch; close: () => Promise<void> } {
  const sinks = new Map<string, InfluxV1Sink>();
  const write: WriteBatch = async (database, body) => {
    let sink = sinks.get(database);
    if (!sink) {
      sink = new InfluxV1Sink({ url, database, maxSockets: concurrency });
      sinks.set(database, sink);
    }
    const result = await sink.write(body, POINTS_PER_BATCH);
    if (!result.ok) throw new Error(`sink write: ${result.error}`);
  };
  return { write, close: async () => void (await Promise.all([...sinks.values()].map((s) => s.close()))) };
}

/**
 * For each concurrency, the two writers take turns in short slices (bare, sink, sink, bare, ...)
 * until each has had `seconds`: both see the same influxd (cache size, compactions, neighbours'
 * load), which drifts too much over a minute for back-to-back cases to compare.
 */
async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const sliceSeconds = arg('slice', 1);
  const bodies = Array.from({ length: DISTINCT_BATCHES }, (_, i) => buildBatch(i));
  const influxd = await startInfluxd({ db: 'bench' });
  const results: CaseResult[] = [];
  try {
    for (const concurrency of [1, 4]) {
      const bare = bareWriter(influxd.url, concurrency);
      const sink = sinkWriter(influxd.url, concurrency);
      const cursors = { bare: await newCursor(influxd, `bare_c${concurrency}`), sink: await newCursor(influxd, `sink_c${concurrency}`) };
      const slices = Math.max(1, Math.round(seconds / sliceSeconds));
      for (let slice = 0; slice < slices; slice++) {
        const order = slice % 2 === 0 ? (['bare', 'sink'] as const) : (['sink', 'bare'] as const);
        for (const writer of order) {
          await runSlice(cursors[writer], bodies, concurrency, sliceSeconds, writer === 'bare' ? bare.write : sink.write);
        }
      }
      bare.close();
      await sink.close();
      for (const writer of ['bare', 'sink'] as const) {
        const { points, seconds: elapsed } = cursors[writer];
        results.push({ writer, concurrency, points, seconds: elapsed, pointsPerSecond: points / elapsed });
        console.error(`${writer} ×${concurrency}: ${Math.round(points / elapsed)} points/s over ${elapsed.toFixed(1)} s`);
      }
    }
  } finally {
    await influxd.stop();
  }
  report(results, seconds);
}

function report(results: CaseResult[], seconds: number): void {
  const mean = (writer: string, concurrency: number) => {
    const runs = results.filter((r) => r.writer === writer && r.concurrency === concurrency);
    return runs.reduce((sum, r) => sum + r.points, 0) / runs.reduce((sum, r) => sum + r.seconds, 0);
  };
  const summary = [1, 4].map((concurrency) => {
    const bare = mean('bare', concurrency);
    const sink = mean('sink', concurrency);
    return {
      concurrency,
      barePointsPerSecond: Math.round(bare),
      sinkPointsPerSecond: Math.round(sink),
      fieldValuesPerSecond: Math.round(sink * FIELDS_PER_POINT),
      ratio: Number((sink / bare).toFixed(3)),
      meetsTarget: sink / bare >= 0.9,
    };
  });
  console.log(
    JSON.stringify({ batch: POINTS_PER_BATCH, fields: FIELDS_PER_POINT, secondsPerCase: seconds, summary, runs: results }, null, 2),
  );
}

await main();
