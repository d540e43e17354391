/**
 * What the wall board costs the brain on a large floor: one answer of GET /api/wallboard (every
 * host by desk and colour with its health, asked once a second by every board) and of
 * GET /api/hosts/ID (one host's detail with its charts), over N hosts each with the charted
 * series of a server (2 NICs, memory, a disk, 4 wrapped processes: 13 rings), after 10 minutes
 * of samples; and the memory those rings take. The work is the brain's own functions on its
 * own tables (no HTTP: the JSON encoding is timed separately).
 *
 *   npx tsx bench/wallboard.bench.ts [hosts ...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../lib/clock.js';
import { MetricsRegistry } from '../lib/metrics.js';
import { IncidentApi } from '../brain/incidents/api.js';
import { IncidentStore } from '../brain/incidents/incident-store.js';
import { AgentRegistry } from '../brain/ingest/agents.js';
import { EventLog } from '../brain/state/event-log.js';
import { RECENT_STEP_MS, RECENT_STEPS } from '../brain/state/recent-ring.js';
import { SeriesTable, type BrainSeries } from '../brain/state/series-table.js';
import { hostDetail } from '../brain/http/host-detail.js';
import type { ApiDeps } from '../brain/http/route.js';
import { wallboard } from '../brain/http/wallboard.js';

const REPEATS = 30;

function timed<T>(f: () => T): { ms: number; value: T } {
  let value!: T;
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    value = f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, value };
}

function run(hosts: number, dir: string) {
  const clock = new FakeClock();
  const events = new EventLog({ clock });
  const agents = new AgentRegistry({ clock, events, silentAfterMs: 10_000 });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const table = new SeriesTable(10_000_000, 5_000_000);
  const charted: BrainSeries[] = [];
  for (let h = 0; h < hosts; h++) {
    const id = `ws-${String(h).padStart(5, '0')}`;
    const a = agents.ensure(id);
    Object.assign(a, {
      host: id,
      labels: { desk: `desk-${h % 40}`, colour: h % 2 ? 'red' : 'blue', role: 'workstation' },
      connected: true,
      lastHeardMs: clock.now(),
    });
    const tags = { agent: id, host: id };
    const def = (measurement: string, field: string, t: Record<string, string> = {}) =>
      table.intern(id, tags, { measurement, field, tags: t, kind: 0 })!;
    for (const nic of ['eth0', 'eth1'])
      charted.push(def('nic', 'rx_bytes_per_s', { interface: nic }), def('nic', 'tx_bytes_per_s', { interface: nic }));
    charted.push(
      def('memory', 'dirty_bytes'),
      def('memory', 'writeback_bytes'),
      def('memory', 'written_bytes_per_s'),
      def('disk', 'write_bytes_per_s', { device: 'nvme0n1' }),
    );
    for (let p = 0; p < 4; p++) charted.push(def('process', 'cpu_percent', { process: `app-${p}` }));
    def('memory', 'mem_total_bytes');
  }
  // 10 minutes of samples, one per step per series.
  for (let step = 0; step < RECENT_STEPS; step++) {
    clock.advance(RECENT_STEP_MS);
    const us = clock.now() * 1000;
    for (const s of charted) {
      s.last = step;
      s.lastUs = us;
      s.recent?.add(us, step);
    }
  }
  global.gc?.();
  const heapRings = process.memoryUsage().heapUsed - heapBefore;
  const incidents = new IncidentApi({ store: new IncidentStore({ file: join(dir, `incidents-${hosts}.jsonl`), clock }), clock });
  const d = {
    brainId: 'bench',
    version: '0',
    agents,
    series: table,
    events,
    metrics: new MetricsRegistry({ defaults: false }),
    incidents,
    store: () => ({ kind: 'none' }),
    startedMs: 0,
    now: () => clock.now(),
  } as unknown as ApiDeps;
  const board = timed(() => wallboard(d));
  const boardJson = timed(() => JSON.stringify(board.value));
  const detail = timed(() => hostDetail(d, `ws-${String(Math.floor(hosts / 2)).padStart(5, '0')}`));
  const detailJson = JSON.stringify(detail.value);
  return {
    hosts,
    series: table.size,
    charted: table.charted,
    heapRings,
    board: board.ms,
    boardJson: boardJson.ms,
    boardBytes: boardJson.value.length,
    detail: detail.ms,
    detailBytes: detailJson.length,
  };
}

const counts = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'fw-wallboard-bench-'));
try {
  console.log(
    '| hosts | series (charted) | brain heap for them | /api/wallboard build | its JSON | answer size | /api/hosts/ID build | its size |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const hosts of counts.length ? counts : [100, 1_000, 5_000]) {
    const r = run(hosts, dir);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
    console.log(
      `| ${r.hosts} | ${r.series} (${r.charted}) | ${mb(r.heapRings)} | ${r.board.toFixed(2)} ms | ${r.boardJson.toFixed(2)} ms | ${kb(r.boardBytes)} | ${r.detail.toFixed(3)} ms | ${kb(r.detailBytes)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
