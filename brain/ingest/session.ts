/**
 * One agent stream on the brain: hello → welcome, then series declarations and batches.
 *
 * A batch is deduplicated by (agent, seq) against what was already accepted, applied to the
 * latest-value table, turned into line protocol, persisted, and acknowledged once durable.
 * Anything malformed ends this stream only, with a gRPC status naming the reason, and a log
 * line naming the peer; other streams are untouched.
 */
import { timingSafeEqual } from 'node:crypto';
import { status as GrpcStatus, type Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import type { Clock, Timer } from '../../lib/clock.js';
import { FloorwatchError, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { IngestStream } from '../../proto/ingest-service.js';
import { PROTOCOL_VERSION, type AgentMessage, type IEvent, type IHello, type ISampleBatch } from '../../proto/wire.js';
import type { EventLog } from '../state/event-log.js';
import { eventMessage } from '../state/event-message.js';
import type { BrainSeries, SeriesTable } from '../state/series-table.js';
import type { LineBuffer } from '../store/line-buffer.js';
import { formatLine } from '../store/line-protocol.js';
import type { AgentRecord, AgentRegistry, HostInventoryView } from './agents.js';
import { checkHelloIdentity } from './hello-check.js';
import type { IngestMetrics } from './metrics.js';

export interface SessionDeps {
  clock: Clock;
  log: Logger;
  brainId: string;
  agents: AgentRegistry;
  series: SeriesTable;
  events: EventLog;
  metrics: IngestMetrics;
  token: string | undefined;
  helloTimeoutMs: number;
  maxSeriesPerStream: number;
  /** False on a brain pair's secondary: streams are refused (UNAVAILABLE), the agent tries its next address. */
  accepting?: () => boolean;
  /** Persists one batch's lines; resolves when durable. Undefined means memory only. */
  persist: ((agentId: string, seq: number, lines: number, bytes: Uint8Array) => Promise<void>) | undefined;
  /**
   * False while persist cannot take more (its disk fails and its memory allowance is used): a
   * new batch is then refused before anything of it is applied (see #refuse).
   */
  persistAccepting?: () => boolean;
  /** Scratch for a batch's line protocol, shared by every session (a batch is handled in one go). */
  lineBuffer: LineBuffer;
  /** Identity from the client certificate (mutual TLS), if any. */
  certIdentity: (call: IngestStream) => string[] | undefined;
  /** The agents' pushable config, sent after Welcome. */
  agentConfig: () => { version: number; yaml: string } | undefined;
  /**
   * The ingest worker's hooks (brain/ingest/ingest-worker.ts): each sample stored as its series'
   * latest value, and the agent's record after a hello or its stream's end, for the alerting side.
   */
  sampled?: (s: BrainSeries, value: number, timeUs: number) => void;
  agentChanged?: (agent: AgentRecord) => void;
}

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export class IngestSession {
  readonly #call: IngestStream;
  readonly #d: SessionDeps;
  readonly #peer: string;
  #agent: AgentRecord | undefined;
  #agentTags: Record<string, string> = {};
  #defs: (BrainSeries | undefined)[] = [];
  #helloTimer: Timer | undefined;
  /** Batches are being refused: set until the stream is ended to make the agent send again. */
  #refusing: Timer | undefined;
  #ended = false;
  readonly #replaceMe = (code?: 'FW_ERR_PAIR_SECONDARY') =>
    code ? this.#fail(code, this.#d.brainId) : this.#fail('FW_ERR_WIRE_DUPLICATE_AGENT');

  constructor(call: IngestStream, deps: SessionDeps) {
    this.#call = call;
    this.#d = deps;
    this.#peer = call.getPeer();
    deps.metrics.streamsOpen.set(deps.metrics.streamsOpen.get() + 1);
    this.#helloTimer = deps.clock.setTimeout(() => this.#fail('FW_ERR_WIRE_HELLO_TIMEOUT'), deps.helloTimeoutMs);
    call.on('data', (msg: AgentMessage) => {
      try {
        this.#onMessage(msg);
      } catch (err) {
        if (err instanceof FloorwatchError) this.#fail(err.code, err.message);
        else this.#fail('FW_ERR_WIRE_BAD_BATCH', (err as Error).message);
      }
    });
    call.on('end', () => this.#close('agent ended the stream'));
    call.on('error', (err) => this.#close(`stream error: ${err.message}`));
    call.on('cancelled', () => this.#close('cancelled'));
  }

  #onMessage(msg: AgentMessage): void {
    if (this.#ended) return;
    if (this.#d.accepting?.() === false) throw new FloorwatchError('FW_ERR_PAIR_SECONDARY', this.#d.brainId);
    if (!this.#agent) {
      if (!msg.hello) throw new FloorwatchError('FW_ERR_WIRE_NO_HELLO', `got ${msg.body ?? 'an empty message'}`);
      return this.#onHello(msg.hello);
    }
    this.#d.agents.heard(this.#agent);
    if (msg.batch) this.#onBatch(this.#agent, msg.batch);
    else if (msg.series) this.#onSeries(msg.series.defs ?? []);
    else if (msg.configStatus) this.#onConfigStatus(msg.configStatus);
    else if (msg.inventory) this.#agent.inventory = inventoryView(msg.inventory, this.#d.clock.now());
    else if (msg.status) this.#onStatus(this.#agent, msg.status.events ?? []);
    else if (msg.hello) throw new FloorwatchError('FW_ERR_WIRE_BAD_HELLO', 'a second hello on the same stream');
  }

  #onHello(hello: IHello): void {
    this.#helloTimer?.cancel();
    const id = hello.agentId ?? '';
    if (!AGENT_ID.test(id))
      throw new FloorwatchError('FW_ERR_WIRE_BAD_HELLO', `agent_id ${JSON.stringify(id.slice(0, 140))} is not a valid id`);
    const version = hello.protocolVersion ?? 0;
    if (version < 1 || version > PROTOCOL_VERSION)
      throw new FloorwatchError('FW_ERR_WIRE_VERSION', `agent speaks ${version}, brain speaks 1..${PROTOCOL_VERSION}`);
    if (this.#d.token !== undefined && !sameSecret(hello.token ?? '', this.#d.token)) throw new FloorwatchError('FW_ERR_AUTH_TOKEN');
    const identities = this.#d.certIdentity(this.#call);
    if (identities && !identities.includes(id)) {
      throw new FloorwatchError('FW_ERR_AUTH_IDENTITY', `agent_id ${id} is not in the certificate (${identities.join(', ')})`);
    }
    const named = checkHelloIdentity(id, hello.host, hello.labels);
    const agent = this.#d.agents.ensure(id);
    agent.replace?.(); // a reconnect while the old stream lingers: the newest stream wins
    agent.host = named.host;
    agent.labels = named.labels;
    agent.softwareVersion = hello.softwareVersion ?? '';
    agent.runId = hello.runId ?? '';
    agent.peer = this.#peer;
    agent.connected = true;
    agent.sendAck = (upto) => this.#send({ ack: { uptoSeq: upto } });
    agent.replace = this.#replaceMe;
    this.#agent = agent;
    this.#agentTags = { ...agent.labels, agent: id, host: agent.host };
    this.#d.agents.heard(agent);
    this.#send({ welcome: { protocolVersion: PROTOCOL_VERSION, ackedSeq: agent.ackedSeq, brainId: this.#d.brainId } });
    const pushed = this.#d.agentConfig();
    if (pushed) this.#send({ config: pushed });
    this.#d.agentChanged?.(agent);
    this.#d.log.info({ agent: id, peer: this.#peer, ackedSeq: agent.ackedSeq }, 'agent connected');
  }

  #onSeries(defs: NonNullable<AgentMessage['series']>['defs']): void {
    for (const def of defs ?? []) {
      const id = def.id ?? 0;
      if (id >= this.#d.maxSeriesPerStream)
        throw new FloorwatchError('FW_ERR_WIRE_TOO_MANY_SERIES', `series id ${id} ≥ limit ${this.#d.maxSeriesPerStream}`);
      if (!def.measurement || !def.field) throw new FloorwatchError('FW_ERR_WIRE_BAD_BATCH', `series ${id} has no measurement or field`);
      this.#defs[id] = this.#d.series.intern(this.#agent!.id, this.#agentTags, {
        measurement: def.measurement,
        field: def.field,
        tags: def.tags ?? {},
        kind: def.kind ?? 0,
      });
    }
  }

  #onBatch(agent: AgentRecord, batch: ISampleBatch): void {
    const seq = batch.seq ?? 0;
    const series = batch.series ?? [];
    const values = batch.values ?? [];
    const times = batch.timeUs ?? [];
    if (seq < 1) throw new FloorwatchError('FW_ERR_WIRE_BAD_BATCH', 'seq must be ≥ 1');
    if (values.length !== series.length || times.length !== series.length) {
      throw new FloorwatchError('FW_ERR_WIRE_BAD_BATCH', `column lengths differ: ${series.length}/${values.length}/${times.length}`);
    }
    const m = this.#d.metrics;
    if (seq <= agent.receivedSeq) {
      agent.duplicateBatches++;
      m.duplicateBatches.inc();
      if (seq <= agent.ackedSeq) this.#send({ ack: { uptoSeq: agent.ackedSeq } });
      return;
    }
    if (this.#refusing || this.#d.persistAccepting?.() === false) return this.#refuse(agent, seq);
    if (seq > agent.receivedSeq + 1 && agent.receivedSeq > 0) {
      agent.missingBatches += seq - agent.receivedSeq - 1;
      m.missingBatches.inc(seq - agent.receivedSeq - 1);
    }
    const out = this.#d.lineBuffer;
    out.reset();
    // Without a spool nothing reads the line protocol: do not build it on the hot path.
    const keepLines = this.#d.persist !== undefined;
    for (let i = 0; i < series.length; i++) {
      const s = this.#defs[series[i]!];
      if (!s) throw new FloorwatchError('FW_ERR_WIRE_UNKNOWN_SERIES', `series id ${series[i]} in batch ${seq}`);
      const v = values[i]!;
      const t = times[i]!;
      if (t >= s.lastUs) {
        s.last = v;
        s.lastUs = t;
        if (s.recent && Number.isFinite(v)) s.recent.add(t, v);
        this.#d.sampled?.(s, v, t);
      }
      if (keepLines && Number.isFinite(v)) out.sample(s.linePrefix, v, Math.round(t));
    }
    for (const e of batch.events ?? []) {
      const line = this.#onEvent(agent, e);
      if (line) out.text(line);
    }
    agent.receivedSeq = seq;
    agent.batchesReceived++;
    agent.samplesReceived += series.length;
    agent.agentCumulativeSamples = batch.cumulativeSamples ?? 0;
    agent.agentDroppedSamples = batch.droppedSamples ?? 0;
    m.batches.inc();
    m.samples.inc(series.length);
    // From the newest sample's time on the agent to its batch being taken here: queueing on the
    // agent, the network and this loop (agents' clocks are NTP-disciplined on a floor).
    if (m.ingestLag && times.length > 0) m.ingestLag.observe(Math.max(0, this.#d.clock.nowUs() - Number(times[times.length - 1])) / 1e6);
    const durable = this.#d.persist?.(agent.id, seq, out.lines, out.bytes);
    if (durable) {
      durable.then(
        () => this.#d.agents.stored(agent, seq),
        (err: Error) => this.#d.log.error({ agent: agent.id, seq, err: err.message }, 'spool append failed'),
      );
    } else {
      this.#d.agents.stored(agent, seq);
    }
  }

  /**
   * The batch is not applied, not acknowledged, and neither is any later one on this stream: the
   * agent's window fills and it waits, its batches safe in its own queue, while heartbeats keep
   * it heard. Once persist accepts again the stream is ended (UNAVAILABLE): the agent reconnects
   * and sends again from the acknowledged seq, on a fresh stream, so no refused batch is skipped.
   */
  #refuse(agent: AgentRecord, seq: number): void {
    this.#d.metrics.refusedBatches.inc();
    if (this.#refusing) return;
    this.#d.log.warn({ agent: agent.id, seq }, 'state disk full or failing: refusing batches; the agent keeps them queued');
    this.#refusing = this.#d.clock.setInterval(() => {
      if (this.#d.persistAccepting?.() !== false) this.#fail('FW_ERR_STATE_DISK', `batches from ${seq} on were refused while it was`);
    }, 250);
  }

  #onEvent(agent: AgentRecord, e: IEvent): string | undefined {
    const event = this.#d.events.publish({
      timeUs: e.timeUs ?? this.#d.clock.nowUs(),
      kind: e.kind || 'unknown',
      source: 'agent',
      agentId: agent.id,
      tags: { ...(e.tags ?? {}) },
      attrs: { ...(e.attrs ?? {}) },
      values: { ...(e.values ?? {}) },
      severity: e.severity ?? 0,
    });
    this.#d.metrics.events.inc();
    return formatLine(
      'events',
      { ...event.tags, ...this.#agentTags, kind: event.kind },
      { ...event.attrs, ...event.values, message: eventMessage(event), severity: event.severity },
      event.timeUs,
    );
  }

  /**
   * The agent's own condition, sent outside its queue (its state disk full, then ok): published
   * for the rules like a batch's events, but not stored (it has no seq to make it exactly once).
   */
  #onStatus(agent: AgentRecord, events: IEvent[]): void {
    // The host is the agent's own: an agent speaks for its disk, not another host's.
    for (const e of events.slice(0, MAX_STATUS_EVENTS)) this.#onEvent(agent, { ...e, tags: { ...(e.tags ?? {}), host: agent.host } });
  }

  #onConfigStatus(s: NonNullable<AgentMessage['configStatus']>): void {
    const agent = this.#agent!.id;
    if (s.applied) this.#d.log.info({ agent, version: Number(s.version) }, 'agent applied pushed config');
    else this.#d.log.warn({ agent, version: Number(s.version), error: s.error }, 'agent refused pushed config');
  }

  #send(msg: Parameters<IngestStream['write']>[0]): void {
    if (!this.#ended) this.#call.write(msg);
  }

  #fail(code: ErrorCode, detail?: string): void {
    if (this.#ended) return;
    const err = detail ? new FloorwatchError(code, detail.replace(/^.*?: /, '')) : new FloorwatchError(code);
    this.#d.metrics.refusedStreams.inc(1, { code });
    this.#d.log.warn({ peer: this.#peer, agent: this.#agent?.id, code, reason: err.message }, 'refusing agent stream');
    const status: Partial<ServerErrorResponse> = { code: err.grpcStatus ?? GrpcStatus.INTERNAL, details: `${code}: ${err.message}` };
    this.#call.emit('error', status as ServerErrorResponse & { metadata?: Metadata });
    this.#close(err.message);
  }

  #close(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#helloTimer?.cancel();
    this.#refusing?.cancel();
    const m = this.#d.metrics;
    m.streamsOpen.set(m.streamsOpen.get() - 1);
    const agent = this.#agent;
    if (agent) {
      // Only detach if this stream is still the agent's live one (not replaced by a newer one).
      if (agent.replace === this.#replaceMe) {
        agent.connected = false;
        agent.sendAck = undefined;
        agent.replace = undefined;
        this.#d.agentChanged?.(agent);
      }
      this.#d.log.info({ agent: agent.id, reason }, 'agent stream closed');
    }
    try {
      this.#call.end();
    } catch {
      // already closed by the transport
    }
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const MAX_INVENTORY_NICS = 64;
const MAX_STATUS_EVENTS = 16;
const text = (s: string | null | undefined, max = 200): string => (s ?? '').slice(0, max);
const count = (n: number | null | undefined): number => Math.max(0, Number(n ?? 0)) || 0;

/** The agent's HostInventory, bounded (strings cut, at most 64 NICs) as an agent is not trusted. */
function inventoryView(inv: NonNullable<AgentMessage['inventory']>, nowMs: number): HostInventoryView {
  return {
    os: text(inv.os),
    kernel: text(inv.kernel),
    arch: text(inv.arch, 32),
    cpu_model: text(inv.cpuModel),
    cpu_cores: count(inv.cpuCores),
    cpu_physical_cores: count(inv.cpuPhysicalCores),
    memory_bytes: count(inv.memoryBytes),
    nics: (inv.nics ?? [])
      .slice(0, MAX_INVENTORY_NICS)
      .map((n) => ({ name: text(n.name, 64), mac: text(n.mac, 64), speed_mbps: Number(n.speedMbps ?? -1), driver: text(n.driver, 64) })),
    config_hash: text(inv.configHash, 64),
    pushed_config_hash: text(inv.pushedConfigHash, 64),
    node_version: text(inv.nodeVersion, 32),
    collect_ms: count(inv.collectMs),
    received_ms: nowMs,
  };
}
