/**
 * The agent, composed: samplers → batcher → disk queue → shipper. Composition only; each part
 * is its own module. The agent never imports brain code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type Timer } from '../lib/clock.js';
import type { StateDisk } from '../lib/disk-health.js';
import type { Logger } from '../lib/log.js';
import { VERSION } from '../lib/version.js';
import { Batcher } from './batcher.js';
import { parsePushedConfig, type AgentConfig, type PushableConfig } from './config.js';
import { DiskQueue } from './queue/disk-queue.js';
import { HoldingQueue } from './queue/holding-queue.js';
import { watchAgentDisk } from './state-disk.js';
import { OptimiserGate } from './optimiser-gate.js';
import { isEventSampler, type Sampler, type SamplerDeps } from './sampler.js';
import { samplerPlugins } from './samplers/registry.js';
import { SeriesRegistry } from './series-registry.js';
import { sharedIntervals } from './shared-intervals.js';
import type { GrpcTls } from './transport/grpc-stream-client.js';
import { Shipper } from './transport/shipper.js';
import { isLoopbackAddress } from '../lib/loopback.js';
import { collectInventory, shortHash } from './inventory.js';

export interface AgentHandle {
  readonly id: string;
  readonly queue: DiskQueue;
  readonly shipper: Shipper;
  /** Flushes, waits (up to timeoutMs) for the brain to acknowledge everything, then stops. */
  stop(timeoutMs?: number): Promise<{ drained: boolean; cumulativeSamples: number }>;
}

/**
 * `opts.configText`: the configuration file as read, whose digest the fleet inventory reports
 * (without it, the digest of the effective configuration). `opts.inventory: false` skips the
 * one-off host inventory (benchmarks that start many agents in one process).
 */
export async function startAgent(
  config: AgentConfig,
  log: Logger,
  baseClock: Clock = systemClock,
  opts: { configText?: string; inventory?: boolean } = {},
): Promise<AgentHandle> {
  // Every periodic job of the agent shares one timer per period: one wakeup a second, not six.
  const clock = sharedIntervals(baseClock);
  const stateDir = config.agent.state_dir;
  let shipper: Shipper | undefined;
  // The state disk's condition, told to the brain over the stream (the queue is what failed).
  const disk = watchAgentDisk({ clock, log, host: config.agent.host, tell: (events) => shipper?.setStatus(events) });
  const queueHealth = disk.disk.health('queue');
  const queue = new DiskQueue({ dir: join(stateDir, 'queue'), maxBytes: config.queue.max_bytes, health: queueHealth });
  const holding = new HoldingQueue({
    clock,
    log,
    queue,
    health: queueHealth,
    maxBytes: config.queue.hold_max_bytes,
    maxBatches: config.queue.hold_max_batches,
    onDurable: () => shipper?.notify(),
  });
  const series = new SeriesRegistry(join(stateDir, 'series.jsonl'));
  const seriesHealth = disk.disk.health('series');
  series.onWriteError = (err) => seriesHealth.count(err);
  const batcher = new Batcher({
    clock,
    log,
    queue: holding,
    series,
    flushMs: config.flush_ms,
    maxSamples: config.max_batch_samples,
    onSealed: () => shipper?.notify(),
  });
  const optimiser = new OptimiserGate(clock);
  const busy = () => {
    if (optimiser.busyNow()) log.info('log backlog: V8 optimising compiler enabled');
  };
  const deps: SamplerDeps = {
    clock,
    log,
    procRoot: config.proc_root,
    sysRoot: config.sys_root,
    stateDir,
    queuedSeq: () => queue.nextSeq - 1,
    busy,
    readPaused: () => holding.heldBatches > 0,
  };
  const running = new SamplerSet(batcher, deps, clock);
  await running.replace({ interval_ms: config.interval_ms, samplers: config.samplers });

  let configVersion = 0;
  let inventory: Awaited<ReturnType<typeof collectInventory>> | undefined;
  let pushedConfigHash = '';
  const onConfig = (version: number, yaml: string): string | undefined => {
    try {
      const pushed = parsePushedConfig(yaml, version);
      configVersion = version;
      pushedConfigHash = shortHash(yaml);
      if (inventory && inventory.pushedConfigHash !== pushedConfigHash)
        shipper?.setInventory((inventory = { ...inventory, pushedConfigHash }));
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
    held: () => holding.heldBatches,
    unreachableAlarmMs: config.brain.unreachable_alarm_ms,
  });
  disk.resend();
  const fsyncTimer = config.queue.fsync_ms > 0 ? clock.setInterval(() => queue.sync(), config.queue.fsync_ms) : undefined;
  const selfStats = clock.setInterval(() => {
    emitSelfStats(batcher, queue, holding, disk.disk, series, shipper!);
    if (optimiser.check()) log.info('busy: V8 optimising compiler enabled');
  }, config.interval_ms);
  batcher.start();
  shipper.start();
  // Once per process, off the sampling path: the brain gets it after each Welcome.
  if (opts.inventory !== false) {
    collectInventory({ sysRoot: config.sys_root, configHash: shortHash(opts.configText ?? JSON.stringify(config)) })
      .then((inv) => {
        inventory = { ...inv, pushedConfigHash };
        log.info({ collect_ms: inv.collectMs, os: inv.os, nics: inv.nics?.length }, 'host inventory collected');
        shipper?.setInventory(inventory);
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'host inventory not collected'));
  }
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
      holding.stop();
      disk.disk.stop();
      fsyncTimer?.cancel();
      await new Promise<void>((r) => queue.sync(r));
      queue.close();
      series.close();
      return { drained, cumulativeSamples: queue.cumulativeSamples };
    })());
  return { id: config.agent.id, queue, shipper, stop };
}

function emitSelfStats(
  batcher: Batcher,
  queue: DiskQueue,
  holding: HoldingQueue,
  disk: StateDisk,
  series: SeriesRegistry,
  shipper: Shipper,
): void {
  const emit = batcher.emitFor('agent');
  const q = queue.stats();
  emit.gauge('agent', 'queue_pending_batches', q.pendingBatches);
  emit.gauge('agent', 'queue_pending_bytes', q.pendingBytes);
  emit.counter('agent', 'queue_dropped_batches', q.droppedBatches);
  emit.counter('agent', 'queue_dropped_samples', q.droppedSamples);
  const h = holding.stats();
  emit.gauge('agent', 'queue_held_batches', h.heldBatches);
  emit.gauge('agent', 'queue_held_bytes', h.heldBytes);
  emit.counter('agent', 'queue_hold_dropped_batches', h.droppedBatches);
  emit.counter('agent', 'queue_hold_dropped_samples', h.droppedSamples);
  emit.gauge('agent', 'state_disk_degraded', disk.degraded ? 1 : 0);
  emit.counter(
    'agent',
    'state_disk_errors',
    disk.stores.reduce((n, s) => n + s.errorCount, 0),
  );
  emit.counter('agent', 'series_refused', series.refused);
  emit.counter('agent', 'series_unwritten', series.unwritten);
  emit.counter('agent', 'reconnects', shipper.reconnects);
  emit.gauge('agent', 'brain_unreachable_s', shipper.unreachableForMs() / 1000);
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
  const remote = config.brain.addresses.filter((a) => !isLoopbackAddress(a));
  if (remote.length > 0 && !config.brain.allow_plaintext_remote) {
    throw new Error(
      `refusing plaintext to non-loopback brain ${remote.join(', ')}: configure brain.tls or set brain.allow_plaintext_remote`,
    );
  }
  log.warn({ brains: config.brain.addresses }, 'plaintext connection to the brain (no TLS): acceptable on loopback and for the demo only');
  return {};
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

  /** Stops the samplers, then seals what they emitted (their last positions are saved at that seal). */
  async stop(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const s of this.#samplers) {
      if (isEventSampler(s)) await s.stop();
    }
    this.#samplers = [];
    this.batcher.flush();
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
