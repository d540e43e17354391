/**
 * The agent, composed: samplers → batcher → disk queue → shipper. Composition only; each part
 * is its own module. The agent never imports brain code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type Timer } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { VERSION } from '../lib/version.js';
import { Batcher } from './batcher.js';
import { parsePushedConfig, type AgentConfig, type PushableConfig } from './config.js';
import { DiskQueue } from './queue/disk-queue.js';
import { OptimiserGate } from './optimiser-gate.js';
import { isEventSampler, type Sampler, type SamplerDeps } from './sampler.js';
import { samplerPlugins } from './samplers/registry.js';
import { SeriesRegistry } from './series-registry.js';
import { sharedIntervals } from './shared-intervals.js';
import type { GrpcTls } from './transport/grpc-stream-client.js';
import { Shipper } from './transport/shipper.js';

export interface AgentHandle {
  readonly id: string;
  readonly queue: DiskQueue;
  readonly shipper: Shipper;
  /** Flushes, waits (up to timeoutMs) for the brain to acknowledge everything, then stops. */
  stop(timeoutMs?: number): Promise<{ drained: boolean; cumulativeSamples: number }>;
}

export async function startAgent(config: AgentConfig, log: Logger, baseClock: Clock = systemClock): Promise<AgentHandle> {
  // Every periodic job of the agent shares one timer per period: one wakeup a second, not six.
  const clock = sharedIntervals(baseClock);
  const stateDir = config.agent.state_dir;
  const queue = new DiskQueue({ dir: join(stateDir, 'queue'), maxBytes: config.queue.max_bytes });
  const series = new SeriesRegistry(join(stateDir, 'series.jsonl'));
  let shipper: Shipper | undefined;
  const batcher = new Batcher({
    clock,
    log,
    queue,
    series,
    flushMs: config.flush_ms,
    maxSamples: config.max_batch_samples,
    onSealed: () => shipper?.notify(),
  });
  const deps: SamplerDeps = { clock, log, procRoot: config.proc_root, sysRoot: config.sys_root, stateDir };
  const running = new SamplerSet(batcher, deps, clock);
  await running.replace({ interval_ms: config.interval_ms, samplers: config.samplers });

  let configVersion = 0;
  const onConfig = (version: number, yaml: string): string | undefined => {
    try {
      const pushed = parsePushedConfig(yaml, version);
      configVersion = version;
      running.replace(pushed).catch((err: Error) => log.error({ err: err.message }, 'applying pushed config failed'));
      log.info({ version }, 'applied configuration pushed by the brain');
      return undefined;
    } catch (err) {
      log.warn({ version, err: (err as Error).message }, 'refused configuration pushed by the brain');
      return (err as Error).message;
    }
  };

  shipper = new Shipper({
    clock,
    log,
    queue,
    series,
    addresses: config.brain.addresses,
    ...clientTls(config, log),
    hello: {
      agentId: config.agent.id,
      host: config.agent.host,
      softwareVersion: VERSION,
      labels: config.agent.labels,
      token: config.brain.token ?? '',
      configVersion,
      runId: randomUUID(),
    },
    onConfig,
  });
  const fsyncTimer = config.queue.fsync_ms > 0 ? clock.setInterval(() => queue.sync(), config.queue.fsync_ms) : undefined;
  const optimiser = new OptimiserGate(clock);
  const selfStats = clock.setInterval(() => {
    emitSelfStats(batcher, queue, series, shipper!);
    if (optimiser.check()) log.info('busy: V8 optimising compiler enabled');
  }, config.interval_ms);
  batcher.start();
  shipper.start();
  log.info({ agent: config.agent.id, brains: config.brain.addresses, samplers: running.names() }, 'agent started');

  let stopping: Promise<{ drained: boolean; cumulativeSamples: number }> | undefined;
  const stop = (timeoutMs = 5000) =>
    (stopping ??= (async () => {
      await running.stop();
      selfStats.cancel();
      batcher.stop();
      const deadline = clock.monotonic() + timeoutMs;
      while (!shipper!.drained() && clock.monotonic() < deadline) await new Promise<void>((r) => clock.setTimeout(r, 20));
      const drained = shipper!.drained();
      shipper!.stop();
      fsyncTimer?.cancel();
      await new Promise<void>((r) => queue.sync(r));
      queue.close();
      series.close();
      return { drained, cumulativeSamples: queue.cumulativeSamples };
    })());
  return { id: config.agent.id, queue, shipper, stop };
}

function emitSelfStats(batcher: Batcher, queue: DiskQueue, series: SeriesRegistry, shipper: Shipper): void {
  const emit = batcher.emitFor('agent');
  const q = queue.stats();
  emit.gauge('agent', 'queue_pending_batches', q.pendingBatches);
  emit.gauge('agent', 'queue_pending_bytes', q.pendingBytes);
  emit.counter('agent', 'queue_dropped_batches', q.droppedBatches);
  emit.counter('agent', 'queue_dropped_samples', q.droppedSamples);
  emit.counter('agent', 'series_refused', series.refused);
  emit.counter('agent', 'reconnects', shipper.reconnects);
  emit.gauge('agent', 'rss_bytes', process.memoryUsage.rss());
}

function clientTls(config: AgentConfig, log: Logger): { tls?: GrpcTls } {
  const tls = config.brain.tls;
  if (tls) {
    return {
      tls: {
        ca: readFileSync(tls.ca),
        ...(tls.key ? { key: readFileSync(tls.key) } : {}),
        ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
        ...(tls.server_name ? { serverName: tls.server_name } : {}),
      },
    };
  }
  const remote = config.brain.addresses.filter((a) => !isLoopback(a));
  if (remote.length > 0 && !config.brain.allow_plaintext_remote) {
    throw new Error(`refusing plaintext to non-loopback brain ${remote.join(', ')}: configure brain.tls or set brain.allow_plaintext_remote`);
  }
  log.warn({ brains: config.brain.addresses }, 'plaintext connection to the brain (no TLS): acceptable on loopback and for the demo only');
  return {};
}

export function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host.startsWith('unix:');
}

/** The running samplers: polled ones on the interval, event samplers started once. */
class SamplerSet {
  #samplers: Sampler[] = [];
  #timer: Timer | undefined;
  #busy = new Set<Sampler>();
  overruns = 0;

  constructor(
    private readonly batcher: Batcher,
    private readonly deps: SamplerDeps,
    private readonly clock: Clock,
  ) {}

  names(): string[] {
    return this.#samplers.map((s) => s.name);
  }

  async replace(config: PushableConfig): Promise<void> {
    const next: Sampler[] = [];
    for (const plugin of samplerPlugins) {
      const section = config.samplers[plugin.name];
      if (section !== undefined) next.push(...plugin.create(section, this.deps));
    }
    await this.stop();
    this.#samplers = next;
    for (const s of next) {
      if (isEventSampler(s)) await s.start(this.batcher.emitFor(s.name));
    }
    this.#timer = this.clock.setInterval(() => this.#tick(), config.interval_ms);
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const s of this.#samplers) {
      if (isEventSampler(s)) await s.stop();
    }
    this.#samplers = [];
  }

  #tick(): void {
    for (const s of this.#samplers) {
      // A sampler still busy with its previous call is skipped, not stacked up.
      if (this.#busy.has(s)) {
        this.overruns++;
        continue;
      }
      const emit = this.batcher.emitFor(s.name);
      try {
        const pending = s.sample(emit);
        if (pending) {
          this.#busy.add(s);
          pending.catch((err: Error) => emit.error(err)).finally(() => this.#busy.delete(s));
        }
      } catch (err) {
        emit.error(err as Error);
      }
    }
  }
}
