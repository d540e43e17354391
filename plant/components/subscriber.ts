/**
 * A trader workstation: subscribes to its symbols at both ticker plants (so the secondary
 * knows it too), follows whichever one is primary, repairs gaps by NAK, drops duplicates, and
 * measures what a trader would feel: latency from the provider's timestamp, gaps recovered or
 * lost, and which symbols are stale ("bad data is worse than no data").
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { healthTargets, symbolNames, type PlantConfig } from '../config.js';
import { HealthPublisher, type HealthBody } from '../health/publisher.js';
import { WarmUp, WARMING_UP_REASON } from '../health/warm-up.js';
import type { Endpoint } from '../net/udp.js';
import { SequencedReceiver } from '../reliable/receiver.js';
import { WindowedLatency } from '../stats/histogram.js';
import { RateMeter } from '../stats/rate.js';
import { hostMonoUs } from '../time.js';
import { Flag, HEADER_BYTES, PacketType, encodeRange, type PacketHeader } from '../wire/packet.js';
import { DeskView } from './desk-view.js';
import { openSocket, sendJson, type Component, type OpenSocket } from './runtime.js';
import type { SubscribeMessage } from './subscription.js';

export interface SubscriberOptions {
  cfg: PlantConfig;
  id: string;
  clock: Clock;
  log: Logger;
  /** Overrides the configured symbol list. */
  symbols?: string[];
  /** A symbol older than this is stale even while the feed is live (0: only feed staleness counts). */
  maxSymbolAgeMs?: number;
}

interface CurrentStream {
  epoch: number;
  term: number;
  source: Endpoint;
  lastPacketAt: number;
  /** Declared silent by the heartbeat check (after pending input was read): only then may a stream of no higher term replace it. */
  silent: boolean;
  /**
   * Joined midway: nothing of it is accepted (its records may lie beyond a hole this desk
   * never saw); the desk has asked that plant for a fresh stream from its position instead.
   */
  awaitingFresh: boolean;
}

export class Subscriber implements Component {
  readonly id: string;
  #o: SubscriberOptions;
  #io: OpenSocket | null = null;
  #health: HealthPublisher | null = null;
  #timers: Timer[] = [];
  #session = randomUUID();
  /** Monotonic ms of the last session change: a fresh stream is asked for at most once per heartbeat interval. */
  #sessionSince = -Infinity;
  #symbols: string[];
  #names: string[];
  #view: DeskView;
  #latency = new WindowedLatency();
  #warmUp: WarmUp;
  #receiver: SequencedReceiver;
  #stream: CurrentStream | null = null;
  #feedStale = false;
  #lastUpdateUs = 0;
  #in: RateMeter;
  #counts = { stream_switches: 0, foreign_packets: 0, midway_joins: 0, fresh_stream_requests: 0 };
  #gapTotals = { detected: 0, unrecoverable: 0, unrecoverable_records: 0, recovered: 0 };

  constructor(o: SubscriberOptions) {
    this.#o = o;
    this.id = o.id;
    const conf = o.cfg.subscribers.find((s) => s.id === o.id);
    this.#symbols = o.symbols ?? conf?.symbols ?? ['*'];
    this.#names = symbolNames(o.cfg);
    const index = new Map(this.#names.map((n, i) => [n, i]));
    const wanted = this.#symbols.includes('*') ? 'all' : this.#symbols.flatMap((s) => (index.has(s) ? [index.get(s)!] : []));
    this.#view = new DeskView(o.cfg.symbols.count, wanted, this.#latency);
    this.#in = new RateMeter(() => o.clock.monotonic());
    this.#warmUp = new WarmUp(o.clock, o.cfg.startup_grace_ms);
    this.#receiver = this.#newReceiver();
  }

  async start(): Promise<void> {
    const { cfg, clock, log } = this.#o;
    const conf = cfg.subscribers.find((s) => s.id === this.id);
    if (!conf) throw new Error(`no subscriber ${this.id} in the plant config`);
    this.#io = await openSocket(
      conf.port,
      cfg.host,
      cfg.delivery.socket_buffer_bytes,
      {
        packet: (h, buf, from) => this.#onPacket(h, buf, from),
        json: () => undefined,
      },
      log,
    );
    this.#health = new HealthPublisher(this.#io.out, healthTargets(cfg), cfg.health.interval_ms, clock, () => this.#healthBody());
    this.#subscribe();
    this.#health.start();
    this.#timers.push(
      clock.setInterval(() => this.#receiver.tick(), Math.max(1, Math.floor(cfg.delivery.nak_retry_ms / 3))),
      clock.setInterval(() => this.#everyHeartbeat(), cfg.health.interval_ms),
    );
  }

  async stop(): Promise<void> {
    this.#timers.forEach((t) => t.cancel());
    this.#health?.stop();
    await this.#io?.close();
  }

  markSteadyState(): void {
    this.#latency.markSteadyState();
  }

  summary(): Record<string, unknown> {
    const gaps = this.#gaps();
    return {
      ...this.#view.counts,
      position: this.#view.position,
      gaps_detected: gaps.detected,
      gaps_recovered: gaps.recovered,
      gaps_unrecoverable: gaps.unrecoverable,
      unrecoverable_records: gaps.unrecoverable_records,
      stream_duplicates: this.#receiver.counters.duplicateRecords,
      ...this.#counts,
      stale_symbols: this.#stale().length,
      ...this.#latency.summaries(),
    };
  }

  #newReceiver(): SequencedReceiver {
    const d = this.#o.cfg.delivery;
    return new SequencedReceiver({
      clock: this.#o.clock,
      nakRetryMs: d.nak_retry_ms,
      maxNakRetries: d.max_nak_retries,
      maxHeldRecords: d.max_held_records,
      maxNakRecords: d.max_nak_records,
      sendNak: (from, to) => {
        const s = this.#stream;
        if (s) this.#io?.out.send(encodeRange(PacketType.nak, s.epoch, s.term, from, to), s.source);
      },
      deliver: (_seq, body, count, flags) => {
        this.#in.add(count);
        this.#lastUpdateUs = this.#o.clock.nowUs();
        this.#view.accept(body, count, flags, hostMonoUs(), this.#o.clock.monotonic());
      },
    });
  }

  #everyHeartbeat(): void {
    this.#subscribe();
    this.#checkSilence();
  }

  /**
   * A stream silent for 2 heartbeat intervals may be replaced by any plant's stream. Judged
   * after pending input has been read (setImmediate runs after I/O): a desk whose own event
   * loop stalled wakes with its deadline due and its stream's packets still in the socket, and
   * would otherwise leave a live stream for whichever plant's packet it read first.
   */
  #checkSilence(): void {
    const cur = this.#stream;
    if (!cur || cur.silent || !this.#silentFor(cur)) return;
    setImmediate(() => {
      if (this.#stream === cur && this.#silentFor(cur)) cur.silent = true;
    });
  }

  #silentFor(cur: CurrentStream): boolean {
    return this.#o.clock.monotonic() - cur.lastPacketAt > this.#o.cfg.health.interval_ms * 2;
  }

  /** Sent to both ticker plants every heartbeat: the subscription, and the desk's position as an ack. */
  #subscribe(): void {
    const msg: SubscribeMessage = { t: 'sub', id: this.id, session: this.#session, symbols: this.#symbols, pos: this.#view.position };
    if (this.#stream?.awaitingFresh) msg.refused = this.#stream.epoch;
    const { cfg } = this.#o;
    for (const tp of cfg.ticker_plants.members) sendJson(this.#io!.out, msg, { host: cfg.host, port: tp.port });
  }

  #onPacket(h: PacketHeader, buf: Buffer, from: Endpoint): void {
    if (!this.#follows(h, from)) {
      this.#counts.foreign_packets++;
      return;
    }
    const cur = this.#stream!;
    cur.lastPacketAt = this.#o.clock.monotonic();
    cur.silent = false;
    if (cur.awaitingFresh) return this.#askForFreshStream();
    if (h.type === PacketType.data) {
      this.#feedStale = (h.flags & Flag.feedStale) !== 0;
      this.#receiver.onData(h.seq, buf.subarray(HEADER_BYTES), h.count, h.flags);
    } else if (h.type === PacketType.position) {
      this.#feedStale = (h.flags & Flag.feedStale) !== 0;
      this.#receiver.onPosition(h.seq);
    } else if (h.type === PacketType.gap) {
      this.#receiver.onGap(h.seq, h.to);
    }
  }

  /**
   * Which stream to follow: the current one; a plant's new stream replacing its old one; a
   * stream of a higher term (a fail-over, or the winner of a split brain re-announcing); or any,
   * once the current one has been declared silent. Never merely whichever plant spoke last: in
   * a split brain both speak, and following each in turn was the ping-pong. A new stream
   * restarts delivery numbering, and dedupe by symbol sequence absorbs the re-broadcast overlap.
   */
  #follows(h: PacketHeader, from: Endpoint): boolean {
    const cur = this.#stream;
    const sameSource = cur !== null && cur.source.port === from.port && cur.source.host === from.host;
    if (cur && cur.epoch === h.epoch && sameSource) return true;
    if (h.type === PacketType.gap) return false;
    // A plant serves one stream per desk: a new epoch from the same source replaces the old one.
    const takeover = !cur || sameSource || h.term > cur.term || cur.silent;
    if (!takeover) return false;
    this.#retire();
    const midway = h.seq > 1;
    this.#stream = {
      epoch: h.epoch,
      term: h.term,
      source: from,
      lastPacketAt: this.#o.clock.monotonic(),
      silent: false,
      awaitingFresh: midway,
    };
    this.#receiver = this.#newReceiver();
    this.#counts.stream_switches++;
    if (midway) {
      // Joined a stream midway (e.g. the first datagram of a new stream was lost). Its past is
      // not this desk's to NAK, and accepting its present could step over updates this desk
      // never got (silently, as a jump in its position). So accept nothing from it: a new
      // session makes that plant open a fresh stream from this desk's acknowledged position,
      // which replaces this one (same source).
      this.#counts.midway_joins++;
      this.#askForFreshStream();
    }
    return true;
  }

  /**
   * A new session, at most once per heartbeat interval: the fresh stream asked for takes a
   * round trip, and asking again for every packet of the refused stream meanwhile made the
   * plant open (and replay) one stream after another.
   */
  #askForFreshStream(): void {
    const now = this.#o.clock.monotonic();
    if (now - this.#sessionSince < this.#o.cfg.health.interval_ms) return;
    this.#session = randomUUID();
    this.#sessionSince = now;
    this.#counts.fresh_stream_requests++;
    this.#subscribe();
  }

  /** Keeps the old stream's gap counts when a fail-over replaces it. */
  #retire(): void {
    const c = this.#receiver.counters;
    this.#gapTotals.detected += c.gapsDetected;
    this.#gapTotals.unrecoverable += c.gapsUnrecoverable;
    this.#gapTotals.unrecoverable_records += c.unrecoverableRecords;
    this.#gapTotals.recovered += this.#receiver.gapsRecovered + (this.#receiver.hasGap ? 1 : 0);
  }

  /**
   * Losses by two independent measures, reporting the larger: the stream's own gaps given up,
   * and per-symbol sequence jumps (updates lost at any hop, e.g. by an upstream plant that gave
   * up a hole, which this desk's stream cannot see). A loss is never silent.
   */
  #gaps() {
    const c = this.#receiver.counters;
    const v = this.#view.counts;
    const streamRecords = this.#gapTotals.unrecoverable_records + c.unrecoverableRecords;
    const streamEvents = this.#gapTotals.unrecoverable + c.gapsUnrecoverable;
    return {
      detected: this.#gapTotals.detected + c.gapsDetected,
      recovered: this.#gapTotals.recovered + this.#receiver.gapsRecovered,
      unrecoverable: Math.max(streamEvents, v.lost_updates > streamRecords ? v.symbol_seq_breaks || 1 : 0),
      unrecoverable_records: Math.max(streamRecords, v.lost_updates),
    };
  }

  /** Stale: the plant says its feed is not live, or no ticker plant has spoken for too long, or never had a value. */
  #stale(): number[] {
    const now = this.#o.clock.monotonic();
    const silent = !this.#stream || now - this.#stream.lastPacketAt > this.#o.cfg.stale_after_ms;
    if (this.#feedStale || silent) return this.#view.wantedSymbols();
    return this.#view.staleSymbols(now, this.#o.maxSymbolAgeMs ?? 0);
  }

  #healthBody(): HealthBody {
    const stale = this.#stale();
    const starting = this.#warmUp.starting(stale.length === 0);
    const gaps = this.#gaps();
    const c = this.#view.counts;
    return {
      component: this.id,
      kind: 'subscriber',
      pair: null,
      role: 'none',
      state: starting ? 'starting' : stale.length > 0 ? 'stale' : gaps.unrecoverable > 0 ? 'degraded' : 'ok',
      reason: starting
        ? WARMING_UP_REASON
        : stale.length > 0
          ? this.#feedStale
            ? 'ticker plant reports its feed stale'
            : `${stale.length} symbols without live data`
          : gaps.unrecoverable > 0
            ? 'unrecoverable gaps'
            : null,
      term: this.#stream?.term ?? 0,
      seq: this.#view.position,
      rates: { in_per_s: this.#in.perSecond(), out_per_s: 0 },
      latency_us: this.#latency.roll(),
      gaps,
      duplicates: c.duplicates + this.#receiver.counters.duplicateRecords,
      stale_symbols: stale.length,
      stale_sample: stale.slice(0, 20).map((s) => this.#names[s] ?? String(s)),
      feeds: { [this.#o.cfg.provider.id]: { last_update_us: this.#lastUpdateUs, seq: this.#view.position } },
      failovers: Math.max(0, this.#counts.stream_switches - 1),
      role_since_mono_us: 0,
      peer: null,
      counters: {
        updates: c.updates,
        snapshot_records: c.snapshot_records,
        symbol_seq_breaks: c.symbol_seq_breaks,
        feed_seq_breaks: c.feed_seq_breaks,
        updates_before_snapshot: c.updates_before_snapshot,
        lost_updates: c.lost_updates,
        stream_switches: this.#counts.stream_switches,
        foreign_packets: this.#counts.foreign_packets,
        midway_joins: this.#counts.midway_joins,
        fresh_stream_requests: this.#counts.fresh_stream_requests,
        first_feed_seq: c.first_feed_seq,
        last_feed_seq: c.last_feed_seq,
      },
    };
  }
}
