/**
 * Plant benchmark: updates/s through provider → feed handler → ticker plant → 10 desks on this
 * machine with end-to-end latency percentiles, then the distribution of fail-over times over
 * 20 SIGKILLs of the primary feed handler and 20 of the primary ticker plant.
 * Run: node --import tsx bench/plant.bench.ts [--rates 50000,100000] [--seconds 20] [--warmup-s 2] [--kills 20]
 *        [--desks-per-process 10] [--records-per-datagram 1000] [--coalesce-ms 2]
 * The 10 desks are 10 subscribers (own port, stream, NAK path, health each) run
 * --desks-per-process to a Node process; 1 gives the old 10 desk processes.
 */
import { cpus, loadavg } from 'node:os';
import { PlantHarness, waitFor } from '../plant/harness.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const RATES = arg('rates', '50000,100000').split(',').filter(Boolean).map(Number);
const SECONDS = Number(arg('seconds', '20'));
/** The first seconds of delivery are start-up (JIT, socket buffers filling, first bursts): reported apart. */
const WARMUP_S = Number(arg('warmup-s', '2'));
const KILLS = Number(arg('kills', '20'));
const PAIRS = arg('pairs', 'fh,tp')
  .split(',')
  .filter((x): x is 'fh' | 'tp' => x === 'fh' || x === 'tp');
const DESKS = 10;
const DESKS_PER_PROCESS = Number(arg('desks-per-process', '10'));
const RECORDS_PER_DATAGRAM = Number(arg('records-per-datagram', '1000'));
const COALESCE_MS = Number(arg('coalesce-ms', '2'));

interface Row {
  rate: number;
  perDesk: number;
  complete: string;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  unrecoverable: number;
  duplicates: number;
  /** Warm-up and whole-run percentiles, printed beside the steady state. */
  warmup: string;
  /** GC pauses and event-loop delay per process over the steady state. */
  pauses: string;
  /** CPU seconds per process over the steady state, by component. */
  cpu: Record<string, number>;
  /** Latency from the provider to each feed handler and ticker plant (where a backlog builds). */
  hops: string;
  /** Worst desk's stream switches, midway joins and duplicates, and the pairs' takeovers: a false takeover under load shows here. */
  churn: string;
}

async function throughput(rate: number): Promise<Row> {
  const count = rate * SECONDS;
  const plant = await PlantHarness.create({
    rate,
    count,
    symbols: 500,
    subscribers: Array.from({ length: DESKS }, (_, i) => ({ id: `ws-${i + 1}` })),
    desksPerProcess: DESKS_PER_PROCESS,
    extra: { stale_after_ms: 2000, delivery: { max_records_per_datagram: RECORDS_PER_DATAGRAM, coalesce_ms: COALESCE_MS } },
  });
  try {
    await plant.startDistribution({}, 60_000);
    plant.startProvider();
    const firstAt = await waitFor('first update at a desk', () => ((plant.hb('ws-1')?.seq ?? 0) > 0 ? Date.now() : undefined), {
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    for (const c of new Set(plant.procs.values())) c.proc.kill('SIGUSR2');
    const cpuAtStart = cpuByProcess(plant);
    const ids = Array.from({ length: DESKS }, (_, i) => `ws-${i + 1}`);
    // Done when every desk holds the last update, or has stopped moving for 3 s.
    let last = '';
    let still = Date.now();
    let doneAt = 0;
    await waitFor(
      'desks to finish',
      () => {
        const seqs = ids.map((id) => plant.hb(id)?.seq ?? 0);
        if (seqs.every((s) => s === count)) return (doneAt = Date.now());
        const key = seqs.join(',');
        if (key !== last) [last, still] = [key, Date.now()];
        return Date.now() - still > 3000;
      },
      { timeoutMs: SECONDS * 1000 * 6 + 30_000 },
    );
    // Health heartbeats are 100 ms apart: the measured span is accurate to about ±0.1 s.
    const spanS = ((doneAt || Date.now()) - firstAt) / 1000;
    const cpuAtEnd = cpuByProcess(plant);
    const cpu = Object.fromEntries([...cpuAtEnd].map(([name, s]) => [name, s - (cpuAtStart.get(name) ?? 0)]));
    const sums = await Promise.all(ids.map((id) => plant.procs.get(id)!.stop(id)));
    const hops = await Promise.all(['fh-a', 'fh-b', 'tp-a', 'tp-b'].map(async (id) => [id, await plant.procs.get(id)!.stop()] as const));
    const provider = await plant.procs.get('provider')!.stop();
    const lat = sums.map((s) => s['latency_us'] as Record<string, number>);
    const warm = sums.map((s) => (s['latency_warmup_us'] ?? {}) as Record<string, number>);
    const whole = sums.map((s) => (s['latency_whole_run_us'] ?? s['latency_us']) as Record<string, number>);
    const updates = sums.map((s) => s['updates'] as number);
    const worst = (k: string) => Math.max(...lat.map((l) => l[k] ?? 0));
    return {
      rate,
      perDesk: Math.round(Math.min(...updates) / Math.max(spanS, 0.001)),
      complete: `${updates.filter((u) => u === count).length}/${DESKS}`,
      p50: worst('p50'),
      p99: worst('p99'),
      p999: worst('p999'),
      max: worst('max'),
      unrecoverable: sums.reduce((a, s) => a + (s['unrecoverable_records'] as number), 0),
      duplicates: sums.reduce((a, s) => a + Number(s['duplicates'] ?? 0) + Number(s['stream_duplicates'] ?? 0), 0),
      warmup: `warm-up (first ${WARMUP_S} s) p50=${Math.max(...warm.map((l) => l['p50'] ?? 0))} p99=${Math.max(...warm.map((l) => l['p99'] ?? 0))} max=${Math.max(...warm.map((l) => l['max'] ?? 0))}; whole run incl. warm-up p50=${Math.max(...whole.map((l) => l['p50'] ?? 0))} p99=${Math.max(...whole.map((l) => l['p99'] ?? 0))} p99.9=${Math.max(...whole.map((l) => l['p999'] ?? 0))}`,
      pauses: [['desks', sums[0]!] as const, ...hops, ['provider', provider] as const]
        .map(([id, s]) => `${id}: ${pausesOf(s)}`)
        .join('\n  '),
      cpu,
      churn: `desk max stream_switches=${maxOver(sums, 'stream_switches')} midway_joins=${maxOver(sums, 'midway_joins')} duplicates=${maxOver(sums, 'duplicates')} lost_updates=${maxOver(sums, 'lost_updates')} stream_gaps_unrecoverable=${maxOver(sums, 'gaps_unrecoverable')}; ${hops.map(([id, s]) => `${id}: takeovers=${String(s['failovers'])} resyncs=${String(s['resyncs'] ?? '-')} unrecoverable_in=${String((s['receiver'] as Record<string, unknown>)['unrecoverableRecords'])}`).join(', ')}`,
      hops: hops
        .map(([id, s]) => {
          const l = s['latency_us'] as Record<string, number>;
          return `${id}(${String(s['role'])}) p50=${l['p50']} p99=${l['p99']}`;
        })
        .join(' '),
    };
  } finally {
    await plant.stopAll();
  }
}

interface Pauses {
  gc: Record<string, { count: number; total_ms: number; max_ms: number }>;
  event_loop_delay_ms: Record<string, number> | null;
  heap_used_mb: number;
  external_mb: number;
  warmup?: Pauses;
}

function pausesOf(s: Record<string, unknown>): string {
  const p = s['process'] as Pauses | undefined;
  if (!p) return '-';
  const gc = (q: Pauses) =>
    Object.entries(q.gc)
      .map(([k, t]) => `${k} ${t.count}× ${t.total_ms} ms (max ${t.max_ms})`)
      .join(', ') || 'none';
  const d = p.event_loop_delay_ms;
  const w = p.warmup;
  const warm = w ? `; warm-up: gc ${gc(w)}, loop delay max ${w.event_loop_delay_ms?.['max'] ?? '-'} ms` : '';
  return `gc ${gc(p)}; loop delay p99=${d?.['p99'] ?? '-'} max=${d?.['max'] ?? '-'} ms; heap ${p.heap_used_mb} MB, external ${p.external_mb} MB${warm}`;
}

function maxOver(sums: Record<string, unknown>[], key: string): number {
  return Math.max(...sums.map((s) => Number(s[key] ?? 0)));
}

/** CPU seconds used so far by each plant process (desks sharing a process counted once, under its first desk). */
function cpuByProcess(plant: PlantHarness): Map<string, number> {
  const seen = new Set<unknown>();
  const out = new Map<string, number>();
  for (const [name, c] of plant.procs) {
    if (seen.has(c)) continue;
    seen.add(c);
    out.set(name, c.cpuSeconds());
  }
  return out;
}

async function failovers(pair: 'fh' | 'tp'): Promise<number[]> {
  const plant = await PlantHarness.create({ rate: 2000, subscribers: [{ id: 'ws-1' }] });
  const times: number[] = [];
  try {
    await plant.startDistribution({}, 60_000);
    plant.startProvider();
    for (let i = 0; i < KILLS; i++) {
      const victim = plant.primary(pair)!.component;
      const survivor = victim.endsWith('-a') ? `${pair}-b` : `${pair}-a`;
      await waitFor('survivor heard as secondary', () => plant.hb(survivor)?.role === 'secondary', { timeoutMs: 20_000 });
      // A random phase against the heartbeat schedule, as a real crash would have.
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      const killedAt = plant.kill(victim);
      const hb = await waitFor('takeover', () => {
        const h = plant.hb(survivor);
        return h?.role === 'primary' ? h : undefined;
      });
      times.push((hb.role_since_mono_us - killedAt) / 1000);
      await plant.procs.get(victim)!.exited;
      plant.start(victim, [pair === 'fh' ? 'feed-handler' : 'ticker-plant', '--id', victim]);
      await waitFor('victim back as secondary', () => plant.hb(victim)?.role === 'secondary' && (plant.hb(victim)?.hb_seq ?? 0) > 1, {
        timeoutMs: 20_000,
      });
    }
    const desk = await plant.procs.get('ws-1')!.stop();
    for (const id of [`${pair}-a`, `${pair}-b`]) process.stdout.write(`  ${id}: ${JSON.stringify(await plant.procs.get(id)!.stop())}\n`);
    process.stdout.write(
      `  desk across ${KILLS} ${pair} kills: feed_seq_breaks=${String(desk['feed_seq_breaks'])} symbol_seq_breaks=${String(desk['symbol_seq_breaks'])} unrecoverable=${String(desk['unrecoverable_records'])} updates=${String(desk['updates'])} last=${String(desk['last_feed_seq'])}\n`,
    );
  } finally {
    await plant.stopAll();
  }
  return times;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

process.stdout.write(
  `plant benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${DESKS} desks (${DESKS_PER_PROCESS} per process), up to ${RECORDS_PER_DATAGRAM} records per datagram, desk streams coalesced ${COALESCE_MS} ms, ${SECONDS} s per rate, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n\n`,
);
process.stdout.write(
  `steady state: latency from ${WARMUP_S} s after the first update to the end (warm-up and whole run printed below each row)\n`,
);
process.stdout.write('offered/s  delivered/s/desk  complete  p50_us  p99_us  p99.9_us  max_us  unrecoverable  duplicates\n');
for (const rate of RATES) {
  const r = await throughput(rate);
  process.stdout.write(
    `${String(r.rate).padStart(9)}  ${String(r.perDesk).padStart(16)}  ${r.complete.padStart(8)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.p999).padStart(8)}  ${String(r.max).padStart(6)}  ${String(r.unrecoverable).padStart(13)}  ${String(r.duplicates).padStart(10)}\n`,
  );
  process.stdout.write(`  ${r.warmup}\n`);
  process.stdout.write(`  provider → hop latency µs: ${r.hops}\n`);
  process.stdout.write(`  ${r.churn}\n`);
  process.stdout.write(`  steady-state pauses per process:\n  ${r.pauses}\n`);
  process.stdout.write(
    `  CPU s over the steady state: ${Object.entries(r.cpu)
      .map(([k, v]) => `${k}=${v.toFixed(2)}`)
      .join(' ')}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
}
process.stdout.write(
  `\nfail-over time after SIGKILL of the primary (pair heartbeat 25 ms, takeover after 4 missed; target < 3 health intervals = 300 ms), ${KILLS} kills each:\n`,
);
for (const pair of PAIRS) {
  const t = await failovers(pair);
  process.stdout.write(
    `${pair}: min=${Math.min(...t).toFixed(1)} p50=${pct(t, 50).toFixed(1)} p90=${pct(t, 90).toFixed(1)} max=${Math.max(...t).toFixed(1)} ms; over 150 ms: ${t.filter((x) => x > 150).length}/${t.length}; over 300 ms: ${t.filter((x) => x > 300).length}/${t.length}\n`,
  );
  process.stdout.write(`  all: ${t.map((x) => x.toFixed(0)).join(' ')}\n`);
}
process.exit(0);
