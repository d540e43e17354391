/**
 * A feed handler: takes its provider line, repairs line gaps by NAK where the provider still
 * holds the data, and — as primary of the pair — relays the feed, numbered by the provider's
 * feed sequence, to both ticker plants. The secondary builds the very same datagrams but keeps
 * them muted; on takeover it re-broadcasts from the old primary's last heartbeat position.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { PlantConfig } from '../config.js';
import type { HealthBody } from '../health/publisher.js';
import type { Endpoint } from '../net/udp.js';
import type { RoleChange } from '../pair/pair-member.js';
import type { SequencedReceiver } from '../reliable/receiver.js';
import { SequencedSender } from '../reliable/sender.js';
import { WindowedLatency } from '../stats/histogram.js';
import { RateMeter } from '../stats/rate.js';
import { Flag, PacketType, HEADER_BYTES, encodeRange, type PacketHeader } from '../wire/packet.js';
import { feedReceiver, openPaired, pairedHealth, pairedSummary, recordHopLatency, type Paired } from './paired.js';
import type { PairLink } from './pair-link.js';
import type { Component, OpenSocket } from './runtime.js';

export interface FeedHandlerOptions {
  cfg: PlantConfig;
  id: string;
  clock: Clock;
  log: Logger;
  dropFraction?: number;
}

export class FeedHandler implements Component {
  readonly id: string;
  #o: FeedHandlerOptions;
  #paired: Paired | null = null;
  #io: OpenSocket | null = null;
  #sender!: SequencedSender;
  #receiver: SequencedReceiver;
  #pair!: PairLink;
  #provider: Endpoint | null = null;
  #lineActivityAt: number;
  #lastUpdateUs = 0;
  #latency = new WindowedLatency();
  #in: RateMeter;
  #outRate: RateMeter;
  #replayed = 0;
  #replayMissing = 0;
  #lineStale = false;

  constructor(o: FeedHandlerOptions) {
    this.#o = o;
    this.id = o.id;
    this.#lineActivityAt = o.clock.monotonic();
    this.#in = new RateMeter(() => o.clock.monotonic());
    this.#outRate = new RateMeter(() => o.clock.monotonic());
    this.#receiver = feedReceiver(
      o.cfg,
      o.clock,
      (from, to) => this.#nakProvider(from, to),
      (seq, body, count) => this.#relay(seq, body, count),
    );
  }

  async start(): Promise<void> {
    const { cfg, clock, log } = this.#o;
    const paired = await openPaired({
      cfg,
      pair: cfg.feed_handlers,
      id: this.id,
      clock,
      log,
      handlers: {
        packet: (h, buf, from) => this.#onPacket(h, buf, from),
        json: (msg) => void this.#pair.onJson(msg),
      },
      receiver: this.#receiver,
      position: () => (this.#pair.member.role === 'primary' ? this.#sender.lastSentSeq : this.#receiver.expected - 1),
      onRoleChange: (c) => this.#onRoleChange(c),
      healthBody: () => this.#healthBody(),
      everyHeartbeat: () => this.#everyHeartbeat(),
    });
    [this.#paired, this.#io, this.#pair] = [paired, paired.io, paired.pair];
    this.#sender = new SequencedSender({
      out: paired.io.out,
      destinations: cfg.ticker_plants.members.map((m) => ({ host: cfg.host, port: m.port })),
      epoch: 0, // the feed-sequence space is shared by both handlers: a takeover continues it
      term: 0,
      maxRecordsPerDatagram: cfg.delivery.max_records_per_datagram,
      ringDatagrams: cfg.delivery.ring_datagrams,
      ringBytes: cfg.delivery.ring_bytes,
      dropFraction: this.#o.dropFraction ?? cfg.delivery.drop_fraction,
    });
    this.#sender.mute(true);
    paired.start([clock.setInterval(() => this.#checkLine(), Math.max(5, Math.floor(cfg.stale_after_ms / 10)))]);
  }

  async stop(): Promise<void> {
    await this.#paired?.stop();
  }

  markSteadyState(): void {
    this.#latency.markSteadyState();
  }

  summary(): Record<string, unknown> {
    return {
      ...pairedSummary(this.#pair, this.#receiver),
      sender: this.#sender.counters,
      replayed: this.#replayed,
      replay_missing: this.#replayMissing,
      ...this.#latency.summaries(),
    };
  }

  #onPacket(h: PacketHeader, buf: Buffer, from: Endpoint): void {
    if (h.type === PacketType.nak) {
      if (this.#pair.member.role === 'primary') this.#sender.onNak(h.seq, h.to, from);
      return;
    }
    this.#provider = from;
    this.#lineActivityAt = this.#o.clock.monotonic();
    if (h.type === PacketType.data) this.#receiver.onData(h.seq, buf.subarray(HEADER_BYTES), h.count, h.flags);
    else if (h.type === PacketType.position) this.#receiver.onPosition(h.seq);
    else if (h.type === PacketType.gap) this.#receiver.onGap(h.seq, h.to);
  }

  #nakProvider(from: number, to: number): void {
    if (this.#provider) this.#io?.out.send(encodeNak(from, to), this.#provider);
  }

  #relay(seq: number, body: Buffer, count: number): void {
    recordHopLatency(this.#latency, this.#receiver, seq, body, count);
    this.#in.add(count);
    this.#lastUpdateUs = this.#o.clock.nowUs();
    this.#sender.appendAt(seq, body, count);
    if (!this.#sender.muted) this.#outRate.add(count);
  }

  #onRoleChange(c: RoleChange): void {
    this.#sender.term = c.term;
    if (c.role === 'primary') {
      this.#sender.mute(false);
      const before = this.#sender.nextSeq - c.replayFrom;
      this.#replayMissing += this.#sender.replayFrom(c.replayFrom);
      this.#replayed += Math.max(0, before);
    } else {
      this.#sender.mute(true);
    }
    this.#paired?.health.publishIfChanged();
  }

  #everyHeartbeat(): void {
    this.#sender.sendPosition(this.#lineStale ? Flag.feedStale : 0);
  }

  /** A dead line makes this handler useless as primary: it asks its peer to take over. */
  #checkLine(): void {
    // A line that never carried data is "not started", not dead: yielding then would only flap
    // the lead at plant start-up, before the provider connects.
    const stale = this.#provider !== null && this.#o.clock.monotonic() - this.#lineActivityAt > this.#o.cfg.stale_after_ms;
    if (stale === this.#lineStale) return;
    this.#lineStale = stale;
    this.#pair.member.setYielding(stale);
    this.#o.log.warn({ stale }, 'provider line staleness changed');
    this.#paired?.health.publishIfChanged();
  }

  #healthBody(): HealthBody {
    const { peerLost, fields } = pairedHealth(this.#o.cfg, this.#pair, this.#receiver, this.#lastUpdateUs);
    const r = this.#receiver;
    return {
      component: this.id,
      kind: 'feed_handler',
      pair: this.#o.cfg.feed_handlers.pair,
      ...fields,
      state: this.#lineStale ? 'stale' : peerLost ? 'degraded' : 'ok',
      reason: this.#lineStale ? 'provider line silent' : peerLost ? 'pair peer heartbeats lost' : null,
      rates: { in_per_s: this.#in.perSecond(), out_per_s: this.#outRate.perSecond() },
      latency_us: this.#latency.roll(),
      stale_symbols: 0,
      stale_sample: [],
      counters: {
        replayed: this.#replayed,
        replay_missing: this.#replayMissing,
        ring_evicted: this.#sender.ring.evictedRecords,
        naks_received: this.#sender.counters.naksReceived,
        retransmitted: this.#sender.counters.retransmittedDatagrams,
        injected_drops: this.#sender.counters.injectedDrops,
        split_brains: this.#pair.member.splitBrainsSeen,
        held_dropped: r.counters.heldDropped,
        malformed: this.#io?.counters.malformed ?? 0,
        send_errors: this.#io?.counters.sendErrors ?? 0,
      },
    };
  }
}

function encodeNak(from: number, to: number): Buffer {
  return encodeRange(PacketType.nak, 0, 0, from, to);
}
