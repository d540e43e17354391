/**
 * A ticker plant: takes the feed from the primary feed handler (repairing gaps by NAK), holds
 * the current-value cache and the desks' subscriptions, and — as primary of its pair — serves
 * each desk a sequenced UDP stream: current values first, then every update. The secondary holds
 * the same cache and subscriptions; on takeover it opens new streams from the feed seq each desk
 * last acknowledged, so the desk sees every update exactly once across the fail-over.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { symbolNames, type PlantConfig } from '../config.js';
import { WarmUp, WARMING_UP_REASON } from '../health/warm-up.js';
import type { HealthBody } from '../health/publisher.js';
import { endpointKey, type Endpoint } from '../net/udp.js';
import type { RoleChange } from '../pair/pair-member.js';
import { DatagramRing } from '../reliable/datagram-ring.js';
import { FlushCoalescer } from '../reliable/flush-coalescer.js';
import type { SequencedReceiver } from '../reliable/receiver.js';
import { SequencedSender } from '../reliable/sender.js';
import { WindowedLatency } from '../stats/histogram.js';
import { RateMeter } from '../stats/rate.js';
import { Flag, HEADER_BYTES, MAX_RECORDS_PER_DATAGRAM, PacketType, encodeRange, type PacketHeader } from '../wire/packet.js';
import { RECORD_BYTES } from '../wire/record.js';
import { CurrentValueCache } from './current-value-cache.js';
import { feedReceiver, openPaired, pairedHealth, pairedSummary, recordHopLatency, type Paired } from './paired.js';
import type { PairLink } from './pair-link.js';
import { randomEpoch, type Component, type OpenSocket } from './runtime.js';
import { Subscription, parseSubscribe, type SubscribeMessage } from './subscription.js';

export interface TickerPlantOptions {
  cfg: PlantConfig;
  id: string;
  clock: Clock;
  log: Logger;
  dropFraction?: number;
}

export class TickerPlant implements Component {
  readonly id: string;
  #o: TickerPlantOptions;
  #paired: Paired | null = null;
  #io: OpenSocket | null = null;
  #pair!: PairLink;
  #receiver: SequencedReceiver;
  #cache: CurrentValueCache;
  /** Inbound feed kept by feed seq: what a takeover re-sends from each desk's acknowledged point. */
  #inbound: DatagramRing;
  /** Every desk stream flushes through it: one flush for all desks, at most every coalesce_ms. */
  #coalescer: FlushCoalescer;
  #subs = new Map<string, Subscription>();
  #byEndpoint = new Map<string, Subscription>();
  #symbolIndex: Map<string, number>;
  #feedSource: Endpoint | null = null;
  #feedActivityAt: number;
  #upstreamStale = false;
  #lastUpdateUs = 0;
  #latency = new WindowedLatency();
  #warmUp: WarmUp;
  #in: RateMeter;
  #out: RateMeter;
  #counts = { snapshots: 0, replays: 0, resyncs: 0, replayed_records: 0, expired: 0, bad_subscribe: 0, stale_naks: 0, streams_kept: 0 };

  constructor(o: TickerPlantOptions) {
    this.#o = o;
    this.id = o.id;
    const d = o.cfg.delivery;
    this.#cache = new CurrentValueCache(o.cfg.symbols.count);
    this.#inbound = new DatagramRing(d.ring_datagrams, d.ring_bytes, MAX_RECORDS_PER_DATAGRAM * RECORD_BYTES);
    this.#coalescer = new FlushCoalescer(o.clock, d.coalesce_ms);
    this.#symbolIndex = new Map(symbolNames(o.cfg).map((s, i) => [s, i]));
    this.#feedActivityAt = o.clock.monotonic();
    this.#warmUp = new WarmUp(o.clock, o.cfg.startup_grace_ms);
    this.#in = new RateMeter(() => o.clock.monotonic());
    this.#out = new RateMeter(() => o.clock.monotonic());
    this.#receiver = feedReceiver(
      o.cfg,
      o.clock,
      (from, to) => {
        if (this.#feedSource) this.#io?.out.send(encodeRange(PacketType.nak, 0, 0, from, to), this.#feedSource);
      },
      (seq, body, count) => this.#apply(seq, body, count),
    );
  }

  get isPrimary(): boolean {
    return this.#pair.member.role === 'primary';
  }

  async start(): Promise<void> {
    const { cfg, clock, log } = this.#o;
    const paired = await openPaired({
      cfg,
      pair: cfg.ticker_plants,
      id: this.id,
      clock,
      log,
      handlers: {
        packet: (h, buf, from) => this.#onPacket(h, buf, from),
        json: (msg, from) => {
          if (this.#pair.onJson(msg)) return;
          const sub = parseSubscribe(msg);
          if (sub) this.#onSubscribe(sub, from);
          else this.#counts.bad_subscribe++;
        },
      },
      receiver: this.#receiver,
      position: () => this.#receiver.expected - 1,
      onRoleChange: (c) => this.#onRoleChange(c),
      healthBody: () => this.#healthBody(),
      everyHeartbeat: () => this.#everyHeartbeat(),
    });
    [this.#paired, this.#io, this.#pair] = [paired, paired.io, paired.pair];
    paired.start();
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
      subscribers: this.#subs.size,
      ...this.#counts,
      ...this.#latency.summaries(),
    };
  }

  get #feedStale(): boolean {
    return this.#upstreamStale || this.#o.clock.monotonic() - this.#feedActivityAt > this.#o.cfg.stale_after_ms;
  }

  #onPacket(h: PacketHeader, buf: Buffer, from: Endpoint): void {
    if (h.type === PacketType.nak) return this.#onNak(h, from);
    this.#feedSource = from;
    this.#feedActivityAt = this.#o.clock.monotonic();
    this.#upstreamStale = (h.flags & Flag.feedStale) !== 0;
    if (h.type === PacketType.data) this.#receiver.onData(h.seq, buf.subarray(HEADER_BYTES), h.count, h.flags);
    else if (h.type === PacketType.position) this.#receiver.onPosition(h.seq);
    else if (h.type === PacketType.gap) this.#receiver.onGap(h.seq, h.to);
  }

  #onNak(h: PacketHeader, from: Endpoint): void {
    const sub = this.#byEndpoint.get(endpointKey(from));
    if (!sub?.stream || sub.stream.epoch !== h.epoch) {
      this.#counts.stale_naks++;
      return;
    }
    sub.stream.onNak(h.seq, h.to, from);
  }

  #apply(seq: number, body: Buffer, count: number): void {
    recordHopLatency(this.#latency, this.#receiver, seq, body, count);
    this.#in.add(count);
    this.#lastUpdateUs = this.#o.clock.nowUs();
    this.#cache.apply(body, count);
    this.#inbound.push(seq, count, body);
    if (!this.isPrimary) return;
    for (const sub of this.#subs.values()) sub.forward(body, count, 0);
    this.#out.add(count * this.#subs.size);
  }

  #onSubscribe(msg: SubscribeMessage, from: Endpoint): void {
    const now = this.#o.clock.monotonic();
    let sub = this.#subs.get(msg.id);
    if (sub && sub.session === msg.session) {
      sub.lastHeardAt = now;
      sub.ackFeedSeq = Math.max(sub.ackFeedSeq, msg.pos);
      if (endpointKey(sub.endpoint) !== endpointKey(from)) this.#moveEndpoint(sub, from);
      return;
    }
    const previous = sub;
    if (previous) this.#byEndpoint.delete(endpointKey(previous.endpoint));
    sub = new Subscription(msg.id, msg.session, from, msg.symbols, this.#symbolIndex, now);
    sub.ackFeedSeq = msg.pos;
    this.#subs.set(msg.id, sub);
    this.#byEndpoint.set(endpointKey(from), sub);
    if (sub.unknownSymbols.length) this.#o.log.warn({ subscriber: msg.id, unknown: sub.unknownSymbols.slice(0, 10) }, 'unknown symbols');
    if (!this.isPrimary) return;
    if (previous && this.#justServed(previous, msg, now)) this.#keepStream(previous, sub);
    else this.#openStream(sub);
  }

  /**
   * A new session that the stream opened for this desk within the last heartbeat already
   * serves: it starts at or before the desk's position and is not the one the desk refused
   * (the desk asked before that stream reached it — e.g. the re-announce after a split brain
   * crossed its request). Opening another would replay the same records again; under load that
   * was the replay storm.
   */
  #justServed(previous: Subscription, msg: SubscribeMessage, now: number): boolean {
    const s = previous.stream;
    return (
      s !== null &&
      msg.pos > 0 &&
      now - previous.streamOpenedAt < this.#o.cfg.health.interval_ms &&
      s.epoch !== msg.refused &&
      previous.streamFromFeedSeq <= msg.pos + 1
    );
  }

  #keepStream(previous: Subscription, sub: Subscription): void {
    sub.stream = previous.stream;
    sub.streamOpenedAt = previous.streamOpenedAt;
    sub.streamFromFeedSeq = previous.streamFromFeedSeq;
    sub.stream?.setDestinations([sub.endpoint]);
    this.#counts.streams_kept++;
  }

  #moveEndpoint(sub: Subscription, to: Endpoint): void {
    this.#byEndpoint.delete(endpointKey(sub.endpoint));
    sub.endpoint = to;
    this.#byEndpoint.set(endpointKey(to), sub);
    sub.stream?.setDestinations([to]);
  }

  /**
   * A new stream for a desk: from its acknowledged feed seq if the inbound ring still covers
   * it (the fail-over re-broadcast), else the current values (a first subscription, or a resync).
   */
  #openStream(sub: Subscription): void {
    const { cfg } = this.#o;
    sub.stream = new SequencedSender({
      out: this.#io!.out,
      destinations: [sub.endpoint],
      epoch: randomEpoch(),
      term: this.#pair.member.term,
      maxRecordsPerDatagram: cfg.delivery.max_records_per_datagram,
      ringDatagrams: cfg.delivery.ring_datagrams,
      ringBytes: cfg.delivery.ring_bytes,
      dropFraction: this.#o.dropFraction ?? cfg.delivery.drop_fraction,
      scheduleFlush: this.#coalescer.schedule,
    });
    const from = sub.ackFeedSeq + 1;
    const oldest = this.#inbound.oldestSeq;
    const covered = sub.ackFeedSeq > 0 && (from >= this.#receiver.expected || (oldest !== undefined && oldest <= from));
    sub.streamOpenedAt = this.#o.clock.monotonic();
    sub.streamFromFeedSeq = covered ? from : 0;
    if (covered) {
      this.#counts.replays++;
      for (const e of this.#inbound.overlapping(from, this.#receiver.expected - 1)) {
        const skip = Math.max(0, from - e.seq);
        sub.forward(e.datagram.subarray(skip * RECORD_BYTES), e.count - skip, Flag.replay);
        this.#counts.replayed_records += e.count - skip;
      }
      return;
    }
    if (sub.ackFeedSeq > 0) this.#counts.resyncs++;
    this.#counts.snapshots++;
    const snap = this.#cache.snapshot((s) => sub.wants(s));
    if (snap.count > 0) sub.stream.append(snap.body, snap.count, Flag.snapshot);
  }

  #onRoleChange(c: RoleChange): void {
    for (const sub of this.#subs.values()) {
      if (c.role === 'primary') this.#openStream(sub);
      else sub.stream = null;
    }
    this.#paired?.health.publishIfChanged();
  }

  #everyHeartbeat(): void {
    const now = this.#o.clock.monotonic();
    const flags = this.#feedStale ? Flag.feedStale : 0;
    for (const [id, sub] of this.#subs) {
      if (now - sub.lastHeardAt > this.#o.cfg.delivery.session_timeout_ms) {
        this.#subs.delete(id);
        this.#byEndpoint.delete(endpointKey(sub.endpoint));
        this.#counts.expired++;
        continue;
      }
      sub.stream?.sendPosition(flags);
    }
    this.#paired?.health.publishIfChanged();
  }

  #healthBody(): HealthBody {
    const { peerLost, fields } = pairedHealth(this.#o.cfg, this.#pair, this.#receiver, this.#lastUpdateUs);
    const stale = this.#feedStale;
    const starting = this.#warmUp.starting(!stale && this.#cache.filled === this.#o.cfg.symbols.count);
    const r = this.#receiver;
    const sent = [...this.#subs.values()].reduce(
      (a, s) => ({
        naks: a.naks + (s.stream?.counters.naksReceived ?? 0),
        drops: a.drops + (s.stream?.counters.injectedDrops ?? 0),
        evicted: a.evicted + (s.stream?.ring.evictedRecords ?? 0),
      }),
      { naks: 0, drops: 0, evicted: 0 },
    );
    return {
      component: this.id,
      kind: 'ticker_plant',
      pair: this.#o.cfg.ticker_plants.pair,
      ...fields,
      state: starting ? 'starting' : stale ? 'stale' : peerLost ? 'degraded' : 'ok',
      reason: starting
        ? WARMING_UP_REASON
        : stale
          ? this.#upstreamStale
            ? 'feed handler reports its line stale'
            : 'no data from any feed handler'
          : peerLost
            ? 'pair peer heartbeats lost'
            : null,
      rates: { in_per_s: this.#in.perSecond(), out_per_s: this.#out.perSecond() },
      latency_us: this.#latency.roll(),
      stale_symbols: stale ? this.#o.cfg.symbols.count : this.#o.cfg.symbols.count - this.#cache.filled,
      stale_sample: [],
      counters: {
        ...this.#counts,
        subscribers: this.#subs.size,
        cache_symbols: this.#cache.filled,
        naks_from_desks: sent.naks,
        injected_drops: sent.drops,
        ring_evicted: sent.evicted + this.#inbound.evictedRecords,
        held_dropped: r.counters.heldDropped,
        split_brains: this.#pair.member.splitBrainsSeen,
        malformed: this.#io?.counters.malformed ?? 0,
        send_errors: this.#io?.counters.sendErrors ?? 0,
      },
    };
  }
}
