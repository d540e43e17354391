/**
 * The simulated market-data provider: a record-based (elementized) quote feed with a feed-level
 * sequence number, sent down two independent lines — the paper's divergently routed primary
 * and backup circuits — each to its own feed handler. Bursts (market open), line outages and
 * gaps happen on command, so the plant's recovery can be exercised on purpose.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { healthTargets, pairMember, type PlantConfig } from '../config.js';
import { HealthPublisher, type HealthBody } from '../health/publisher.js';
import { SequencedSender } from '../reliable/sender.js';
import { RateMeter } from '../stats/rate.js';
import { hostMonoUs } from '../time.js';
import { PacketType } from '../wire/packet.js';
import { RECORD_BYTES, writeQuote } from '../wire/record.js';
import { openSocket, sendJson, randomEpoch, type Component, type OpenSocket } from './runtime.js';
import { parseProviderCommand, type ProviderCommand } from './provider-commands.js';

export interface ProviderOptions {
  cfg: PlantConfig;
  clock: Clock;
  log: Logger;
  rate?: number;
  count?: number;
  dropFraction?: number;
}

interface Line {
  name: string;
  io: OpenSocket;
  sender: SequencedSender;
  outageUntil: number;
  skipRemaining: number;
  skipped: number;
}

const MAX_RECORDS_PER_TICK = 20000;

export class Provider implements Component {
  readonly id: string;
  #o: ProviderOptions;
  #lines: Line[] = [];
  #control: OpenSocket | null = null;
  #health: HealthPublisher | null = null;
  #timers: Timer[] = [];
  #genTimer: ReturnType<typeof setTimeout> | null = null;
  #rate: number;
  #count: number;
  #burstFactor = 1;
  #burstUntil = 0;
  #paused = false;
  #credit = 0;
  #lastTick: number;
  #feedSeq = 0;
  #symbolSeq: Uint32Array;
  #mid: Float64Array;
  #out: RateMeter;
  #commands = 0;

  constructor(o: ProviderOptions) {
    this.#o = o;
    this.id = o.cfg.provider.id;
    this.#rate = o.rate ?? o.cfg.provider.rate;
    this.#count = o.count ?? o.cfg.provider.count;
    this.#symbolSeq = new Uint32Array(o.cfg.symbols.count);
    this.#mid = Float64Array.from({ length: o.cfg.symbols.count }, (_, i) => 100 + i);
    this.#lastTick = o.clock.monotonic();
    this.#out = new RateMeter(() => o.clock.monotonic());
  }

  async start(): Promise<void> {
    const { cfg, clock, log } = this.#o;
    for (const line of cfg.provider.lines) this.#lines.push(await this.#openLine(line));
    this.#control = await openSocket(
      cfg.provider.control_port,
      cfg.host,
      65536,
      {
        packet: () => undefined,
        json: (msg, from) => sendJson(this.#control!.out, this.#command(msg), from),
      },
      log,
    );
    const open = cfg.provider.open_burst;
    if (open.ms > 0) this.#burst(open.factor, open.ms);
    this.#health = new HealthPublisher(this.#lines[0]!.io.out, healthTargets(cfg), cfg.health.interval_ms, clock, () => this.#healthBody());
    this.#health.start();
    this.#timers.push(clock.setInterval(() => this.#sendPositions(), cfg.health.interval_ms));
    this.#lastTick = clock.monotonic();
    this.#scheduleTick();
  }

  async stop(): Promise<void> {
    if (this.#genTimer) clearTimeout(this.#genTimer);
    this.#timers.forEach((t) => t.cancel());
    this.#health?.stop();
    await Promise.all([...this.#lines.map((l) => l.io.close()), this.#control?.close()]);
  }

  summary(): Record<string, unknown> {
    return {
      feed_seq: this.#feedSeq,
      commands: this.#commands,
      lines: Object.fromEntries(
        this.#lines.map((l) => [l.name, { ...l.sender.counters, skipped: l.skipped, evicted: l.sender.ring.evictedRecords }]),
      ),
    };
  }

  async #openLine(line: PlantConfig['provider']['lines'][number]): Promise<Line> {
    const { cfg, log } = this.#o;
    const fh = pairMember(cfg.feed_handlers, line.to).self;
    let sender: SequencedSender | null = null;
    const io = await openSocket(
      line.port,
      cfg.host,
      cfg.delivery.socket_buffer_bytes,
      {
        packet: (h, _buf, from) => {
          if (h.type === PacketType.nak) sender?.onNak(h.seq, h.to, from);
        },
        json: () => undefined,
      },
      log,
    );
    sender = new SequencedSender({
      out: io.out,
      destinations: [{ host: cfg.host, port: fh.port }],
      epoch: randomEpoch(),
      term: 0,
      maxRecordsPerDatagram: cfg.delivery.max_records_per_datagram,
      ringDatagrams: cfg.delivery.ring_datagrams,
      ringBytes: cfg.delivery.ring_bytes,
      dropFraction: this.#o.dropFraction ?? cfg.delivery.drop_fraction,
    });
    return { name: line.name, io, sender, outageUntil: 0, skipRemaining: 0, skipped: 0 };
  }

  #scheduleTick(): void {
    this.#genTimer = setTimeout(() => this.#tick(), 1);
  }

  /** Produces what the rate owes since the last tick: timer jitter changes batch sizes, not the rate. */
  #tick(): void {
    const now = this.#o.clock.monotonic();
    const dt = now - this.#lastTick;
    this.#lastTick = now;
    const rate = this.#paused ? 0 : this.#rate * (now < this.#burstUntil ? this.#burstFactor : 1);
    this.#credit = Math.min(this.#credit + (rate * dt) / 1000, MAX_RECORDS_PER_TICK);
    let n = Math.floor(this.#credit);
    if (this.#count > 0) n = Math.min(n, this.#count - this.#feedSeq);
    if (n > 0) {
      this.#credit -= n;
      this.#publish(this.#generate(n), n, now);
    }
    this.#scheduleTick();
  }

  #generate(n: number): Buffer {
    const body = Buffer.allocUnsafe(n * RECORD_BYTES);
    const ts = hostMonoUs();
    const symbols = this.#symbolSeq.length;
    for (let i = 0; i < n; i++) {
      const s = Math.floor(Math.random() * symbols);
      const mid = (this.#mid[s] = Math.max(0.01, this.#mid[s]! + (Math.random() - 0.5) * 0.02));
      this.#symbolSeq[s]! += 1;
      writeQuote(body, i * RECORD_BYTES, {
        feedSeq: ++this.#feedSeq,
        tsUs: ts,
        bid: mid - 0.01,
        ask: mid + 0.01,
        last: mid,
        symbolId: s,
        symbolSeq: this.#symbolSeq[s]!,
        size: 100 * (1 + Math.floor(Math.random() * 10)),
      });
    }
    return body;
  }

  #publish(body: Buffer, n: number, now: number): void {
    const firstSeq = this.#feedSeq - n + 1;
    this.#out.add(n);
    for (const line of this.#lines) {
      if (now < line.outageUntil) {
        line.skipped += n;
        continue;
      }
      const skip = Math.min(line.skipRemaining, n);
      line.skipRemaining -= skip;
      line.skipped += skip;
      if (skip < n) line.sender.appendAt(firstSeq + skip, body.subarray(skip * RECORD_BYTES), n - skip);
    }
  }

  #sendPositions(): void {
    const now = this.#o.clock.monotonic();
    for (const line of this.#lines) if (now >= line.outageUntil) line.sender.sendPosition();
  }

  #burst(factor: number, ms: number): void {
    this.#burstFactor = factor;
    this.#burstUntil = this.#o.clock.monotonic() + ms;
  }

  #command(msg: Record<string, unknown>): Record<string, unknown> {
    const parsed = parseProviderCommand(
      msg,
      this.#lines.map((l) => l.name),
    );
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    this.#commands++;
    this.#apply(parsed);
    this.#o.log.info({ command: parsed }, 'provider command');
    return { ok: true, feed_seq: this.#feedSeq };
  }

  #apply(c: ProviderCommand): void {
    const now = this.#o.clock.monotonic();
    const lines = (name: string | undefined) => this.#lines.filter((l) => !name || l.name === name);
    switch (c.cmd) {
      case 'burst':
        return this.#burst(c.factor, c.ms);
      case 'rate':
        this.#rate = c.rate;
        return;
      case 'pause':
        this.#paused = true;
        return;
      case 'resume':
        this.#paused = false;
        return;
      case 'outage':
        lines(c.line).forEach((l) => (l.outageUntil = now + c.ms));
        return;
      case 'gap':
        lines(c.line).forEach((l) => (l.skipRemaining += c.count));
        return;
    }
  }

  #healthBody(): HealthBody {
    const now = this.#o.clock.monotonic();
    const down = this.#lines.filter((l) => now < l.outageUntil).map((l) => l.name);
    return {
      component: this.id,
      kind: 'provider',
      pair: null,
      role: 'none',
      state: down.length === 0 ? 'ok' : down.length === this.#lines.length ? 'stale' : 'degraded',
      reason: down.length ? `line outage: ${down.join(', ')}` : null,
      term: 0,
      seq: this.#feedSeq,
      rates: { in_per_s: 0, out_per_s: this.#out.perSecond() },
      latency_us: null,
      gaps: { detected: 0, recovered: 0, unrecoverable: 0, unrecoverable_records: 0 },
      duplicates: 0,
      stale_symbols: 0,
      stale_sample: [],
      feeds: { [this.id]: { last_update_us: this.#o.clock.nowUs(), seq: this.#feedSeq } },
      failovers: 0,
      role_since_mono_us: 0,
      peer: null,
      counters: Object.fromEntries(
        this.#lines.flatMap((l) => [
          [`line_${l.name}_naks`, l.sender.counters.naksReceived],
          [`line_${l.name}_skipped`, l.skipped],
          [`line_${l.name}_injected_drops`, l.sender.counters.injectedDrops],
        ]),
      ),
    };
  }
}
