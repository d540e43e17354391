/**
 * A SIGKILL can hit the agent at any instant. The instants that decide exactly-once are at a seal,
 * where the log offsets and the batch holding their lines are written one after the other. This
 * test takes the agent's state directory as a SIGKILL leaves it at seeded random seals — just
 * before the batch is queued (its offsets already saved) or just after — while the real Batcher
 * and DiskQueue run the log sampler over three logs, each rotated its own way by real logrotate:
 * `create` (SIGHUP to the writer), `create compress delaycompress`, and `copytruncate`. A metric
 * rule reports every line's seq and batches hold 50 samples, so they fill in the middle of a read
 * as well as on the timer. After each crash, 0, 1 or 2 rotations of every log (in turn), then a
 * sampler starts from the state the crash left, so the next crash may land in the middle of a
 * catch-up over rotated files; two dozen times. The final disk queue holds every batch the chain
 * of crashed agents queued: each line on disk must be in it exactly once (copytruncate: the lines
 * it never put on disk may be missing, nothing else). A failure names the doubled and missing
 * seqs and the generation files holding them; replay it with FW_SEED=<seed>.
 *
 * The real-process counterpart (SIGKILLs of the agent CLI, checked at a real brain) is
 * test/scenarios/log-exactly-once.test.ts. Without the fix (offsets saved after the batch is
 * queued) this test doubles 15-30 lines at most "after its append" crashes.
 */
import t from 'tap';
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Batcher } from '../../../../agent/batcher.js';
import { DiskQueue } from '../../../../agent/queue/disk-queue.js';
import { LogSampler } from '../../../../agent/samplers/log/log.js';
import { SeriesRegistry } from '../../../../agent/series-registry.js';
import { systemClock } from '../../../../lib/clock.js';
import { silentLogger } from '../../../../lib/log.js';
import { pb } from '../../../../proto/wire.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { waitWhileProgressing } from '../../../helpers/wait.js';
import { deps, logConfig } from './config-helper.js';
import { duplicates, idRanges, logrotate, rotateConf, seqsOnDisk, startWriter, tempDir, whereOnDisk, type Writer } from './helpers.js';

const CRASHES = 24;
/** Lines per second per log, one write(2) per line: 3 logs fill a 50-sample batch every ~17 ms. */
const RATE = 1000;

/** A disk queue that copies the whole state directory, as a SIGKILL would leave it, around one chosen append. */
class CrashableQueue extends DiskQueue {
  crashAt: { seq: number; before: boolean; to: string } | undefined;
  crashed = false;
  constructor(private readonly stateDir: string) {
    super({ dir: join(stateDir, 'queue'), maxBytes: 256 << 20 });
  }
  override append(seq: number, cumulativeSamples: number, samples: number, payload: Uint8Array): void {
    const c = this.crashAt;
    if (c && seq >= c.seq && c.before) this.#crash(c.to);
    super.append(seq, cumulativeSamples, samples, payload);
    if (c && seq >= c.seq && !c.before) this.#crash(c.to);
  }
  #crash(to: string): void {
    if (this.crashed) return;
    cpSync(this.stateDir, to, { recursive: true });
    this.crashed = true;
  }
}

interface Agent {
  queue: CrashableQueue;
  series: SeriesRegistry;
  batcher: Batcher;
  sampler: LogSampler;
}

interface CrashPlan {
  /** Batches after the start (its catch-up included) the crash comes at. */
  afterBatches: number;
  before: boolean;
  to: string;
}

async function startAgent(stateDir: string, files: string[], crash?: CrashPlan): Promise<Agent> {
  const queue = new CrashableQueue(stateDir);
  if (crash) queue.crashAt = { seq: queue.nextSeq + crash.afterBatches, before: crash.before, to: crash.to };
  const series = new SeriesRegistry(join(stateDir, 'series.jsonl'));
  const batcher = new Batcher({ clock: systemClock, log: silentLogger, queue, series, flushMs: 50, maxSamples: 50, onSealed: () => {} });
  const cfg = logConfig({
    files,
    startAt: 'beginning',
    rotateGraceMs: 200,
    rules: [{ name: 'seq', action: 'metric', pattern: '^seq=(?P<seq>\\d+);', fields: ['seq'] }],
  });
  const sampler = new LogSampler(cfg, { ...deps(stateDir), queuedSeq: () => queue.nextSeq - 1 });
  batcher.start();
  await sampler.start(batcher.emitFor('log'));
  return { queue, series, batcher, sampler };
}

/** Abandons a crashed agent: nothing it does from here reaches the state directory the next one starts from. */
async function abandon(a: Agent): Promise<void> {
  await a.sampler.stop();
  a.batcher.stop();
  a.queue.close();
  a.series.close();
}

/** Every seq the queue holds, by tailed file, in queue order. */
function seqsInQueue(a: Agent): Map<string, number[]> {
  const defs = a.series.defsFrom(0);
  const out = new Map<string, number[]>();
  for (const batch of a.queue.after(0)) {
    const b = pb.SampleBatch.decode(batch.payload);
    b.series.forEach((id, i) => {
      const def = defs[id]!;
      if (def.field !== 'seq') return;
      const file = def.tags!['file']!;
      let seqs = out.get(file);
      if (!seqs) out.set(file, (seqs = []));
      seqs.push(b.values[i]!);
    });
  }
  return out;
}

t.test(
  `every line exactly once across ${CRASHES} crashes at seeded seals, with 0-2 create, compress+delaycompress and copytruncate rotations between`,
  async (t) => {
    const seed = testSeed(12);
    const random = seededRandom(seed);
    const dir = tempDir('crash');
    const logs = [
      { path: join(dir, 'logs/create.log'), options: ['create'], base: 'create.log' },
      { path: join(dir, 'logs/compress.log'), options: ['create', 'compress', 'delaycompress'], base: 'compress.log' },
      { path: join(dir, 'logs/copytruncate.log'), options: ['copytruncate'], base: 'copytruncate.log' },
    ];
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'logs'));
    const writers: Writer[] = [];
    for (const log of logs) writers.push(await startWriter(log.path, RATE, 1));
    t.teardown(() => writers.forEach((w) => w.child.kill('SIGKILL')));

    const writersProgress = async (bytes: number): Promise<void> => {
      const sizes = () => logs.map((l) => statSync(l.path).size);
      const from = sizes();
      await waitWhileProgressing('the writers to write between rotations', () => sizes().every((n, i) => n >= from[i]! + bytes), sizes);
    };
    const plan = (k: number): CrashPlan => ({
      // Every other crash comes early: during the catch-up with what rotated while the agent was down.
      afterBatches: Math.ceil(random() * (k % 2 === 0 ? 10 : 60)),
      before: random() < 0.5,
      to: join(dir, `state-${k}`),
    });
    let crash = plan(1);
    let agent = await startAgent(
      join(dir, 'state-0'),
      logs.map((l) => l.path),
      crash,
    );
    const crashes: string[] = [];
    for (let k = 1; k <= CRASHES; k++) {
      await waitWhileProgressing(
        `crash ${k}`,
        () => agent.queue.crashed,
        () => agent.queue.nextSeq,
      );
      await abandon(agent);
      const rotations = k % 3;
      for (let r = 0; r < rotations; r++) {
        // The writers fill the new files first, so two rotations leave two generations with lines.
        if (r > 0) await writersProgress(4000);
        for (const [i, log] of logs.entries())
          await logrotate(
            dir,
            rotateConf(log.path, log.options, log.options.includes('copytruncate') ? undefined : writers[i]!.child.pid, 100),
          );
      }
      crashes.push(`${crash.afterBatches} batches on, ${crash.before ? 'before' : 'after'} its append, then ${rotations} rotations`);
      const stateDir = crash.to;
      crash = plan(k + 1);
      agent = await startAgent(
        stateDir,
        logs.map((l) => l.path),
        k < CRASHES ? crash : undefined,
      );
    }
    t.comment(`seed ${seed}; crashes: ${crashes.join('; ')}`);

    const lasts = await Promise.all(writers.map((w) => w.stop()));
    const onDisk = logs.map((l) => seqsOnDisk(join(dir, 'logs'), l.base));
    let queued = seqsInQueue(agent);
    const missing = (i: number) => {
      const got = new Set(queued.get(logs[i]!.path) ?? []);
      return [...onDisk[i]!].filter((s) => !got.has(s));
    };
    await waitWhileProgressing(
      'every line on disk in the queue',
      () => {
        queued = seqsInQueue(agent);
        return logs.every((_, i) => missing(i).length === 0);
      },
      () => agent.queue.nextSeq,
      { everyMs: 500, detail: () => logs.map((l, i) => `${l.base} missing ${idRanges(missing(i))}`).join('; ') },
    ).catch((err: Error) => t.fail(err.message)); // reported with the doubled lines below
    await abandon(agent);

    for (const [i, log] of logs.entries()) {
      const seqs = queued.get(log.path) ?? [];
      const doubled = duplicates(seqs);
      t.equal(
        doubled.length,
        0,
        `${log.base}: no line queued twice (doubled: ${idRanges(doubled)}, in ${whereOnDisk(join(dir, 'logs'), log.base, doubled)})`,
      );
      const where = (seqs: number[]) => whereOnDisk(join(dir, 'logs'), log.base, seqs);
      t.equal(missing(i).length, 0, `${log.base}: every line on disk queued (missing: ${idRanges(missing(i))}, in ${where(missing(i))})`);
      const notOnDisk: number[] = [];
      for (let s = 1; s <= lasts[i]!; s++) if (!onDisk[i]!.has(s)) notOnDisk.push(s);
      if (!log.options.includes('copytruncate')) t.same(notOnDisk, [], `${log.base}: nothing lost on disk`);
      t.comment(`${log.base}: written ${lasts[i]}, queued ${seqs.length}, not on disk ${idRanges(notOnDisk, 10)}`);
    }
  },
);
