/**
 * Simulated agents for benchmarks: N gRPC streams (one connection each, as real agents have)
 * to a brain. Two mixes:
 *  - `bench` (default): each stream declares `series` synthetic series and sends batches of
 *    `batch` samples, either as fast as acks allow (a window of unacked batches) or paced at
 *    `rate` batches/s per stream.
 *  - `floor`: each stream is a workstation agent — the 50 series a real agent sends (two NICs,
 *    memory, disk, three process watches, its own queue; docs/schema.md), sampled every second
 *    and stamped with the wall clock, counters rising and gauges moving; `rate` batches/s of
 *    `ticks` seconds each (1 and 1: an agent at the default 1 s flush). Streams start at random
 *    phases (real agents are not synchronised) spread over `ramp` seconds of connecting.
 *    Each batch is a copy of a pre-encoded template with the tick's values and times written
 *    in, so thousands of agents cost the generator little beside the brain.
 * `probe-hz` > 0 adds one stream, `<prefix>-probe`, sending a single sample of `probe.sent`
 * stamped with the wall clock at that rate: the brain-side half of an ingest-lag measurement.
 * Prints one JSON result line.
 *
 *   node dist/bench/lib/loadgen.js --brain 127.0.0.1:7070 --streams 100 --batch 1000 --seconds 10
 *   node --import tsx bench/lib/loadgen.ts --mix floor --streams 1000 --rate 1 --ramp 10 --seconds 60
 */
import * as grpc from '@grpc/grpc-js';
import { IngestClient } from '../../proto/ingest-service.js';
import { PROTOCOL_VERSION, encodeBatch, pb, type BrainMessage, type ISeriesDef } from '../../proto/wire.js';

interface Options {
  brain: string;
  streams: number;
  batch: number;
  series: number;
  seconds: number;
  window: number;
  rate: number;
  prefix: string;
  mix: 'bench' | 'floor';
  ramp: number;
  'probe-hz': number;
  ticks: number;
}

const STRING_OPTIONS = new Set(['brain', 'prefix', 'mix']);

function parseArgs(argv: string[]): Options {
  const o: Options = {
    brain: '127.0.0.1:7070',
    streams: 1,
    batch: 1000,
    series: 1000,
    seconds: 10,
    window: 8,
    rate: 0,
    prefix: 'sim',
    mix: 'bench',
    ramp: 0,
    'probe-hz': 0,
    ticks: 1,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '') as keyof Options;
    const value = argv[i + 1]!;
    (o as unknown as Record<string, string | number>)[key] = STRING_OPTIONS.has(key) ? value : Number(value);
  }
  return o;
}

/** What one simulated agent declares and how it makes each batch. */
interface AgentSim {
  defs: ISeriesDef[];
  samplesPerBatch: number;
  nextBatch(seq: number): Uint8Array;
}

const startUs = Date.now() * 1000;
/** Wall-clock µs, as an agent stamps its samples (the brain compares against its own clock). */
const wallUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * `bench` mix: the series and value columns are encoded once; each batch adds its own seq and
 * monotonically increasing synthetic times, so the generator spends little CPU per batch.
 */
function benchAgent(o: Options, body: Uint8Array): AgentSim {
  const perBatch = Math.ceil(o.batch / o.series);
  return {
    defs: Array.from({ length: o.series }, (_, i) => ({
      id: i,
      measurement: 'bench',
      field: `f${i % 50}`,
      tags: { group: String(Math.floor(i / 50)) },
    })),
    samplesPerBatch: o.batch,
    nextBatch(seq) {
      // Protobuf messages concatenate as a merge: {seq, times} ++ {series, values} is one batch.
      const timeUs = Array.from({ length: o.batch }, (_, i) => startUs + (seq * perBatch + Math.floor(i / o.series)) * 1000);
      const head = pb.SampleBatch.encode({ seq, timeUs }).finish();
      const out = new Uint8Array(head.length + body.length);
      out.set(head, 0);
      out.set(body, head.length);
      return out;
    },
  };
}

interface FloorSeries {
  measurement: string;
  field: string;
  tags: Record<string, string>;
  /**
   * A counter rises by about `scale` per tick; a gauge of `scale` > 1 wanders within ±2 % of
   * it, a steady workstation (big random jumps would look like flush storms to the detectors).
   */
  counter: boolean;
  scale: number;
}

const nic = (iface: string): FloorSeries[] =>
  [
    ...['up', 'carrier'].map((field) => ({ field, counter: false, scale: 1 })),
    ...['rx_bytes', 'tx_bytes'].map((field) => ({ field, counter: true, scale: 2e6 })),
    ...['rx_packets', 'tx_packets'].map((field) => ({ field, counter: true, scale: 2e3 })),
    ...['rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'].map((field) => ({ field, counter: true, scale: 0 })),
    ...['rx_bytes_per_s', 'tx_bytes_per_s'].map((field) => ({ field, counter: false, scale: 1e6 })),
  ].map((s) => ({ ...s, measurement: 'nic', tags: { interface: iface } }));

const processWatch = (watch: string): FloorSeries[] =>
  [
    { field: 'count', counter: false, scale: 1 },
    { field: 'cpu_percent', counter: false, scale: 20 },
    { field: 'rss_bytes', counter: false, scale: 5e8 },
  ].map((s) => ({ ...s, measurement: 'process_watch', tags: { watch } }));

/** The 50 series of a trading workstation's agent at its default samplers. */
const FLOOR_SERIES: FloorSeries[] = [
  ...nic('eth0'),
  ...nic('eth1'),
  ...[
    { field: 'dirty_bytes', counter: false, scale: 5e7 },
    { field: 'writeback_bytes', counter: false, scale: 1e6 },
    { field: 'mem_available_bytes', counter: false, scale: 2e10 },
    { field: 'mem_total_bytes', counter: false, scale: 3.2e10 },
    { field: 'cached_bytes', counter: false, scale: 8e9 },
    { field: 'nr_dirtied_per_s', counter: false, scale: 500 },
    { field: 'nr_written_per_s', counter: false, scale: 500 },
  ].map((s) => ({ ...s, measurement: 'memory', tags: {} })),
  ...[
    { field: 'write_bytes', counter: true, scale: 4e5 },
    { field: 'read_bytes', counter: true, scale: 1e5 },
    { field: 'write_ops', counter: true, scale: 50 },
    { field: 'read_ops', counter: true, scale: 10 },
    { field: 'write_bytes_per_s', counter: false, scale: 4e5 },
    { field: 'read_bytes_per_s', counter: false, scale: 1e5 },
    { field: 'in_flight', counter: false, scale: 2 },
  ].map((s) => ({ ...s, measurement: 'disk', tags: { device: 'nvme0n1' } })),
  ...processWatch('trading-ui'),
  ...processWatch('fix-gateway'),
  ...processWatch('market-data-client'),
  ...[
    { field: 'queue_batches', counter: false, scale: 0 },
    { field: 'queue_bytes', counter: false, scale: 0 },
    { field: 'queue_dropped_batches', counter: true, scale: 0 },
  ].map((s) => ({ ...s, measurement: 'agent', tags: {} })),
];

/**
 * `floor` mix: all 50 series sampled once a second, wall-clock stamped, values moving; a batch
 * carries `ticks` seconds of them (an agent with `flush_ms: ticks × 1000`), the last one now.
 * Cheap enough to run thousands beside the brain on the same cores: the batch is encoded once
 * as a template (series ids, then the packed value and time columns), and each batch is a copy
 * of it with this tick's values and times written into the columns and its own head (seq, the
 * cumulative sample count) in front; protobuf merges the concatenation into one SampleBatch.
 */
function floorAgent(ticks: number): AgentSim {
  const values = FLOOR_SERIES.map((s) => Math.round(s.scale * (s.counter ? 1000 * Math.random() : 1)));
  const n = FLOOR_SERIES.length;
  const samples = n * ticks;
  const ids = encodeBatch({ series: Array.from({ length: samples }, (_, i) => i % n) });
  const column = (field: number) => Uint8Array.from([(field << 3) | 2, ...varint(samples * 8)]);
  const valuesHead = column(3);
  const timesHead = column(4);
  const valuesAt = ids.length + valuesHead.length;
  const timesAt = valuesAt + samples * 8 + timesHead.length;
  const template = Buffer.alloc(timesAt + samples * 8);
  template.set(ids, 0);
  template.set(valuesHead, ids.length);
  template.set(timesHead, valuesAt + samples * 8);
  let cumulative = 0;
  return {
    defs: FLOOR_SERIES.map((s, id) => ({ id, measurement: s.measurement, field: s.field, tags: s.tags })),
    samplesPerBatch: samples,
    nextBatch(seq) {
      const now = wallUs();
      cumulative += samples;
      const head = Uint8Array.from([(1 << 3) | 0, ...varint(seq), (6 << 3) | 0, ...varint(cumulative)]);
      const batch = Buffer.allocUnsafe(head.length + template.length);
      batch.set(head, 0);
      template.copy(batch, head.length);
      let k = 0;
      for (let t = ticks - 1; t >= 0; t--) {
        for (let i = 0; i < n; i++, k++) {
          const s = FLOOR_SERIES[i]!;
          if (s.counter) values[i] = values[i]! + Math.round(s.scale * (0.8 + 0.4 * Math.random()));
          else if (s.scale > 1) values[i] = Math.round(s.scale * (0.98 + 0.04 * Math.random()));
          batch.writeDoubleLE(values[i]!, head.length + valuesAt + k * 8);
          batch.writeDoubleLE(now - t * 1_000_000, head.length + timesAt + k * 8);
        }
      }
      return batch;
    },
  };
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** The probe: one sample of `probe.sent` per batch, stamped when it is sent. */
function probeAgent(): AgentSim {
  return {
    defs: [{ id: 0, measurement: 'probe', field: 'sent', tags: {} }],
    samplesPerBatch: 1,
    nextBatch: (seq) => encodeBatch({ seq, series: [0], values: [seq], timeUs: [wallUs()] }),
  };
}

interface Acked {
  samples: number;
  latencies: number[];
}

/**
 * One simulated agent: connects, and like a real agent's shipper reconnects after a broken
 * stream (1–2 s, jittered) until `until`, carrying on from the seq the brain says it stored.
 */
async function runStream(
  o: Options,
  id: string,
  sim: AgentSim,
  rate: number,
  startDelayMs: number,
  until: number,
  acked: Acked,
): Promise<void> {
  await new Promise((r) => setTimeout(r, startDelayMs));
  const client = new IngestClient(o.brain, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_send_message_length': 64 << 20,
  });
  for (;;) {
    const finished = await streamOnce(o, client, id, sim, rate, until, acked);
    if (finished || Date.now() >= until) break;
    reconnects++;
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
  }
  client.close();
}

let reconnects = 0;

/** One stream, until it breaks (false) or everything sent before `until` is acked (true). */
function streamOnce(
  o: Options,
  client: IngestClient,
  id: string,
  sim: AgentSim,
  rate: number,
  until: number,
  acked: Acked,
): Promise<boolean> {
  const call = client.stream();
  const sentAt = new Map<number, number>();
  let seq = 0;
  let ackedSeq = 0;
  let welcomed = false;
  let timer: NodeJS.Timeout | undefined;
  // As the real shipper: a heartbeat in any second without a batch, so a slow flush is not silence.
  const heartbeat = rate > 0 && rate < 1 ? setInterval(() => welcomed && call.write({ heartbeat: { timeUs: wallUs() } }), 1000) : undefined;
  return new Promise<boolean>((resolve) => {
    const done = (finished: boolean) => {
      clearTimeout(timer);
      clearInterval(timer);
      clearInterval(heartbeat);
      resolve(finished);
    };
    const send = () => {
      while (welcomed && Date.now() < until && seq - ackedSeq < o.window) {
        seq++;
        sentAt.set(seq, performance.now());
        call.write({ rawBatch: sim.nextBatch(seq) });
        if (rate > 0) break;
      }
    };
    call.on('data', (m: BrainMessage) => {
      if (m.welcome) {
        welcomed = true;
        seq = ackedSeq = Number(m.welcome.ackedSeq);
        if (rate > 0) {
          // A random phase within the period: unsynchronised agents, a smooth load.
          timer = setTimeout(
            () => {
              send();
              timer = setInterval(send, 1000 / rate);
            },
            Math.random() * (1000 / rate),
          );
        } else send();
      } else if (m.ack) {
        const upto = Number(m.ack.uptoSeq);
        for (let s = ackedSeq + 1; s <= upto; s++) {
          const t0 = sentAt.get(s);
          if (t0 !== undefined) {
            if (acked.latencies.length < 200_000) acked.latencies.push(performance.now() - t0);
            sentAt.delete(s);
          }
        }
        acked.samples += (upto - ackedSeq) * sim.samplesPerBatch;
        ackedSeq = upto;
        if (Date.now() >= until && ackedSeq >= seq) {
          call.end();
          done(true);
        } else if (rate === 0) send();
      }
    });
    call.on('error', () => done(false));
    call.on('end', () => done(false));
    call.write({ hello: { protocolVersion: PROTOCOL_VERSION, agentId: id, host: id, labels: { floor: 'bench' } } });
    call.write({ series: { defs: sim.defs } });
    setTimeout(() => done(true), until - Date.now() + 10_000).unref();
  });
}

const o = parseArgs(process.argv.slice(2));
const body =
  o.mix === 'bench'
    ? encodeBatch({
        series: Array.from({ length: o.batch }, (_, i) => i % o.series),
        values: Array.from({ length: o.batch }, () => Math.random() * 1000),
      })
    : undefined;
const makeSim = () => (body ? benchAgent(o, body) : floorAgent(o.ticks));
const acked: Acked = { samples: 0, latencies: [] };
const probeAcked: Acked = { samples: 0, latencies: [] };
const start = Date.now();
const until = start + o.seconds * 1000;
const streams = Array.from({ length: o.streams }, (_, i) =>
  runStream(o, `${o.prefix}-${i}`, makeSim(), o.rate, (i / o.streams) * o.ramp * 1000, until, acked),
);
if (o['probe-hz'] > 0) streams.push(runStream(o, `${o.prefix}-probe`, probeAgent(), o['probe-hz'], 0, until, probeAcked));
/** The result line; also on SIGTERM, so a benchmark can stop a generator it ran open-ended. */
function report(): never {
  const elapsed = (Date.now() - start) / 1000;
  acked.latencies.sort((a, b) => a - b);
  const pct = (p: number) => acked.latencies[Math.min(acked.latencies.length - 1, Math.floor(p * acked.latencies.length))] ?? NaN;
  process.stdout.write(
    JSON.stringify({ samples: acked.samples, seconds: elapsed, ack_p50_ms: pct(0.5), ack_p99_ms: pct(0.99), reconnects }) + '\n',
  );
  process.exit(0);
}
process.once('SIGTERM', report);
await Promise.all(streams);
report();
