/**
 * Journal and outbox replication from the primary brain to the secondary, over one TCP
 * connection of JSON lines, so a fail-over neither loses nor repeats a page:
 *
 *   secondary → primary   {"hello": "<brain id>"}                     once, on connect
 *   primary → secondary   {"t":"reset","seq":N,"i":[...],"o":[...]}    the whole state: incident
 *                                                                      journal and outbox lines
 *   primary → secondary   {"t":"rec","seq":N,"f":"i"|"o","l":"<line>"}  every record after it, in order
 *   secondary → primary   {"ack":N}                                   written and fdatasync'd up to N
 *
 * The secondary writes the lines into its own `incidents.jsonl` and `outbox.jsonl` (the files
 * its alerting and paging parts replay when it becomes primary: a take-over is a restart on the
 * primary's state). The primary's dispatcher waits for the secondary's ack of everything made
 * so far (the outbox `enq` record of the page included) before the page's first attempt
 * (`waitReplicated`), as Kea parks a reply until its partner acknowledged the lease. With the
 * secondary unheard (dead, or its link cut) the page goes at once, alone, and is counted; with it
 * heard but slow, after `timeoutMs`, counted too. The `sent` record that follows a delivery is
 * not waited for: a primary killed between the gateway's 250 and the secondary's copy of `sent`
 * makes the new primary send that page again (the window of one network round trip,
 * docs/brain-pair.md).
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { MetricsRegistry } from '../../lib/metrics.js';
import { writeFileAtomic } from '../../lib/state-files.js';

export const REPLICATED_FILES = { i: 'incidents.jsonl', o: 'outbox.jsonl' } as const;
type FileTag = keyof typeof REPLICATED_FILES;

/** Lines queued for a replica that reads too slowly before it is cut off (it reconnects and resets). */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

export interface ReplicationSourceOptions {
  readonly listen: string;
  readonly peerId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timeoutMs: number;
  /** True while this brain is primary (only then is a replica served). */
  readonly isPrimary: () => boolean;
  /** Whether the peer brain has been heard lately (role machine): if not, pages go alone at once. */
  readonly peerAlive: () => boolean;
  /** The state to start a replica from, taken synchronously at connect. */
  readonly snapshot: () => { i: string[]; o: string[] };
  readonly metrics?: MetricsRegistry;
}

/** The primary's side. */
export class ReplicationSource {
  readonly #o: ReplicationSourceOptions;
  #server: Server | undefined;
  #replica: Socket | undefined;
  #seq = 0;
  #acked = 0;
  #waiters: { seq: number; resolve: (r: 'acked' | 'alone' | 'timeout') => void; timer: Timer }[] = [];
  /** Pages that left before the secondary held them (alone or timed out). */
  unreplicated = 0;
  cutOff = 0;

  constructor(o: ReplicationSourceOptions) {
    this.#o = o;
    o.metrics?.counterFn(
      'floorwatch_pair_pages_unreplicated_total',
      'Notifications delivered before the secondary brain acknowledged them (it was unheard, or slower than pair.replication_timeout_ms).',
      () => this.unreplicated,
    );
    o.metrics?.gaugeFn('floorwatch_pair_replica_connected', '1 while the secondary brain is connected for replication.', () =>
      this.#replica ? 1 : 0,
    );
    o.metrics?.gaugeFn('floorwatch_pair_replication_lag', 'Records made on the primary and not yet acknowledged by the secondary.', () =>
      this.#replica ? this.#seq - this.#acked : 0,
    );
    o.metrics?.counterFn(
      'floorwatch_pair_replica_cut_total',
      'Replica connections cut because the secondary read too slowly (it reconnects from a full state).',
      () => this.cutOff,
    );
  }

  get connected(): boolean {
    return this.#replica !== undefined;
  }

  async listen(): Promise<void> {
    const { host, port } = split(this.#o.listen);
    this.#server = createServer((s) => this.#accept(s));
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(port, host, () => resolve());
    });
  }

  /** A record of the incident journal (i) or the outbox (o), as it is made. */
  record(f: FileTag, line: string): void {
    this.#seq++;
    this.#write({ t: 'rec', seq: this.#seq, f, l: line });
  }

  /**
   * Resolves once the secondary holds every record made so far: 'acked'; or 'alone' at once when
   * the secondary is unheard and unconnected; or 'timeout' after timeoutMs.
   */
  waitReplicated(): Promise<'acked' | 'alone' | 'timeout'> {
    const seq = this.#seq;
    if (this.#acked >= seq) return Promise.resolve('acked');
    if (!this.#replica && !this.#o.peerAlive()) {
      this.unreplicated++;
      return Promise.resolve('alone');
    }
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        this.unreplicated++;
        resolve('timeout');
      }, this.#o.timeoutMs);
      this.#waiters.push({ seq, resolve, timer });
    });
  }

  /** Drops the replica (this brain stopped being primary). */
  disconnect(): void {
    this.#replica?.destroy();
    this.#replica = undefined;
  }

  async close(): Promise<void> {
    this.disconnect();
    for (const w of this.#waiters) {
      w.timer.cancel();
      w.resolve('timeout');
    }
    this.#waiters = [];
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  #accept(s: Socket): void {
    s.setNoDelay(true);
    const lines = createInterface({ input: s });
    lines.on('error', () => undefined); // readline re-emits the socket's errors
    let hello = false;
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.#replica === s) this.#replica = undefined;
    });
    lines.on('line', (line) => {
      let m: { hello?: string; ack?: number };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        s.destroy();
        return;
      }
      if (!hello) {
        if (m.hello !== this.#o.peerId || !this.#o.isPrimary()) return void s.destroy();
        hello = true;
        this.#replica?.destroy();
        this.#replica = s;
        this.#acked = 0;
        const snap = this.#o.snapshot();
        this.#write({ t: 'reset', seq: this.#seq, i: snap.i, o: snap.o });
        this.#o.log.info({ peer: this.#o.peerId, seq: this.#seq }, 'pair: secondary connected for replication');
        return;
      }
      if (typeof m.ack === 'number' && this.#replica === s) this.#onAck(m.ack);
    });
  }

  #onAck(seq: number): void {
    this.#acked = Math.max(this.#acked, seq);
    const done = this.#waiters.filter((w) => w.seq <= this.#acked);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.seq > this.#acked);
    for (const w of done) {
      w.timer.cancel();
      w.resolve('acked');
    }
  }

  #write(msg: object): void {
    const s = this.#replica;
    if (!s) return;
    if (s.writableLength > MAX_BACKLOG_BYTES) {
      this.cutOff++;
      this.disconnect();
      return;
    }
    s.write(`${JSON.stringify(msg)}\n`);
  }
}

export interface ReplicaOptions {
  readonly id: string;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retryMs: number;
  /** The replication address of the brain this one believes primary, if any. */
  readonly primaryAddress: () => string | undefined;
  /** After every group of records written and synced (the pair part updates its synced term). */
  readonly onSynced?: () => void;
}

/** The secondary's side: follows whichever brain is primary, into its own state files. */
export class Replica {
  readonly #o: ReplicaOptions;
  #sock: Socket | undefined;
  #target: string | undefined;
  #fds: Partial<Record<FileTag, number>> = {};
  #timer: Timer | undefined;
  #stopped = true;
  /** Highest seq written and synced. */
  applied = 0;
  /** A reset from the current primary was applied on the live connection: this brain holds its state. */
  #inSync = false;
  resets = 0;

  constructor(o: ReplicaOptions) {
    this.#o = o;
  }

  get connectedTo(): string | undefined {
    return this.#sock ? this.#target : undefined;
  }

  /** Caught up with the primary it follows (a reset applied and synced, on a live connection). */
  get inSync(): boolean {
    return this.#sock !== undefined && this.#inSync;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
    this.#timer = this.#o.clock.setInterval(() => this.#tick(), this.#o.retryMs);
  }

  /** Stops following (this brain becomes primary: its parts open the files next). */
  stop(): void {
    this.#stopped = true;
    this.#inSync = false;
    this.#timer?.cancel();
    this.#sock?.destroy();
    this.#sock = undefined;
    this.#closeFiles();
  }

  #tick(): void {
    const want = this.#o.primaryAddress();
    if (this.#sock && want === this.#target) return;
    this.#sock?.destroy();
    this.#sock = undefined;
    this.#inSync = false;
    if (!want || this.#stopped) return;
    this.#connect(want);
  }

  #connect(address: string): void {
    const { host, port } = split(address);
    const s = createConnection({ host, port });
    this.#sock = s;
    this.#target = address;
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.#sock === s) {
        this.#sock = undefined;
        this.#inSync = false;
      }
    });
    s.on('connect', () => s.write(`${JSON.stringify({ hello: this.#o.id })}\n`));
    const lines = createInterface({ input: s });
    lines.on('error', () => undefined); // readline re-emits the socket's errors (ECONNREFUSED)
    let batch = 0;
    let reset = false;
    let flush: NodeJS.Immediate | undefined;
    lines.on('line', (line) => {
      if (this.#sock !== s) return;
      let m: { t: 'reset'; seq: number; i: string[]; o: string[] } | { t: 'rec'; seq: number; f: FileTag; l: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return void s.destroy();
      }
      try {
        if (m.t === 'reset') {
          this.#reset(m.i, m.o);
          reset = true;
        } else this.#append(m.f, m.l);
      } catch (err) {
        this.#o.log.error({ err: String(err) }, 'pair: replica write failed; reconnecting for a full state');
        return void s.destroy();
      }
      batch = m.seq;
      // Group commit: one fdatasync and one ack for every record read in this turn of the loop.
      flush ??= setImmediate(() => {
        flush = undefined;
        try {
          for (const fd of Object.values(this.#fds)) fdatasyncSync(fd);
        } catch (err) {
          this.#o.log.error({ err: String(err) }, 'pair: replica fdatasync failed');
          return void s.destroy();
        }
        this.applied = batch;
        if (this.#sock !== s) return;
        if (reset) this.#inSync = true;
        this.#o.onSynced?.();
        s.write(`${JSON.stringify({ ack: batch })}\n`);
      });
    });
  }

  #reset(i: string[], o: string[]): void {
    this.#closeFiles();
    this.resets++;
    writeFileAtomic(join(this.#o.stateDir, REPLICATED_FILES.i), i.map((l) => `${l}\n`).join(''));
    writeFileAtomic(join(this.#o.stateDir, REPLICATED_FILES.o), o.map((l) => `${l}\n`).join(''));
  }

  #append(f: FileTag, line: string): void {
    const fd = (this.#fds[f] ??= openSync(join(this.#o.stateDir, REPLICATED_FILES[f]), 'a', 0o600));
    writeSync(fd, `${line}\n`);
  }

  #closeFiles(): void {
    for (const fd of Object.values(this.#fds)) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.#fds = {};
  }
}

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}
