/**
 * Simulated agents for benchmarks: N gRPC streams to a brain, each declaring `series` series
 * and sending batches of `batch` samples, either as fast as acks allow (a window of unacked
 * batches) or paced at `rate` batches/s per stream. Prints one JSON result line.
 *
 *   node dist/bench/lib/loadgen.js --brain 127.0.0.1:7070 --streams 100 --batch 1000 --seconds 10
 */
import * as grpc from '@grpc/grpc-js';
import { IngestClient, PROTOCOL_VERSION, encodeBatch, pb, type BrainMessage } from '../../proto/wire.js';

interface Options {
  brain: string;
  streams: number;
  batch: number;
  series: number;
  seconds: number;
  window: number;
  rate: number;
  prefix: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { brain: '127.0.0.1:7070', streams: 1, batch: 1000, series: 1000, seconds: 10, window: 8, rate: 0, prefix: 'sim' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '') as keyof Options;
    const value = argv[i + 1]!;
    (o as unknown as Record<string, string | number>)[key] = key === 'brain' || key === 'prefix' ? value : Number(value);
  }
  return o;
}

/**
 * The series and value columns are encoded once; each batch adds its own seq and monotonically
 * increasing times (as a real agent's are), so the load generator spends little CPU per batch.
 */
function columns(o: Options): Uint8Array {
  const series = Array.from({ length: o.batch }, (_, i) => i % o.series);
  const values = Array.from({ length: o.batch }, () => Math.random() * 1000);
  return encodeBatch({ series, values });
}

const startUs = Date.now() * 1000;

function batchBytes(o: Options, seq: number, body: Uint8Array): Uint8Array {
  // Protobuf messages concatenate as a merge: {seq, times} ++ {series, values} is one batch.
  const perBatch = Math.ceil(o.batch / o.series);
  const timeUs = Array.from({ length: o.batch }, (_, i) => startUs + (seq * perBatch + Math.floor(i / o.series)) * 1000);
  const head = pb.SampleBatch.encode({ seq, timeUs }).finish();
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

async function runStream(o: Options, index: number, body: Uint8Array, until: number, acked: { samples: number; latencies: number[] }): Promise<void> {
  const client = new IngestClient(o.brain, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_send_message_length': 64 << 20 });
  const call = client.stream();
  const id = `${o.prefix}-${index}`;
  const sentAt = new Map<number, number>();
  let seq = 0;
  let ackedSeq = 0;
  let welcomed = false;
  await new Promise<void>((resolve) => {
    const send = () => {
      while (welcomed && Date.now() < until && seq - ackedSeq < o.window) {
        seq++;
        sentAt.set(seq, performance.now());
        call.write({ rawBatch: batchBytes(o, seq, body) });
        if (o.rate > 0) break;
      }
    };
    call.on('data', (m: BrainMessage) => {
      if (m.welcome) {
        welcomed = true;
        seq = ackedSeq = Number(m.welcome.ackedSeq);
        if (o.rate > 0) {
          const timer = setInterval(() => (Date.now() < until ? send() : clearInterval(timer)), 1000 / o.rate);
        }
        send();
      } else if (m.ack) {
        const upto = Number(m.ack.uptoSeq);
        for (let s = ackedSeq + 1; s <= upto; s++) {
          const t0 = sentAt.get(s);
          if (t0 !== undefined) {
            if (acked.latencies.length < 200_000) acked.latencies.push(performance.now() - t0);
            sentAt.delete(s);
          }
        }
        acked.samples += (upto - ackedSeq) * o.batch;
        ackedSeq = upto;
        if (Date.now() >= until && ackedSeq >= seq) {
          call.end();
          resolve();
        } else if (o.rate === 0) send();
      }
    });
    call.on('error', () => resolve());
    call.on('end', () => resolve());
    call.write({ hello: { protocolVersion: PROTOCOL_VERSION, agentId: id, host: id, labels: { floor: 'bench' } } });
    call.write({ series: { defs: Array.from({ length: o.series }, (_, i) => ({ id: i, measurement: 'bench', field: `f${i % 50}`, tags: { group: String(Math.floor(i / 50)) } })) } });
    setTimeout(() => resolve(), until - Date.now() + 10_000).unref();
  });
  client.close();
}

const o = parseArgs(process.argv.slice(2));
const body = columns(o);
const acked = { samples: 0, latencies: [] as number[] };
const start = Date.now();
const until = start + o.seconds * 1000;
await Promise.all(Array.from({ length: o.streams }, (_, i) => runStream(o, i, body, until, acked)));
const elapsed = (Date.now() - start) / 1000;
acked.latencies.sort((a, b) => a - b);
const pct = (p: number) => acked.latencies[Math.min(acked.latencies.length - 1, Math.floor(p * acked.latencies.length))] ?? NaN;
process.stdout.write(JSON.stringify({ samples: acked.samples, seconds: elapsed, ack_p50_ms: pct(0.5), ack_p99_ms: pct(0.99) }) + '\n');
process.exit(0);
