/**
 * The agent's end of the local reporting protocol (protocol.ts): a Unix socket that local
 * producers (`floorwatch run`, the plant's components) write events and samples to.
 * A bad line or a bad producer is counted and dropped; it never stops the agent or other producers.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Emit, EventSampler, SamplerDeps } from '../sampler.js';
import { LineSplitter } from './line-splitter.js';
import { MAX_LINE_BYTES, parseMessage, type LocalMessage } from './protocol.js';

export interface LocalSocketConfig {
  enabled: boolean;
  path: string;
}

/** Producers per host are few (a wrapper per supervised process); this caps a runaway one. */
const MAX_CONNECTIONS = 512;
const SOCKET_MODE = 0o660;

export interface LocalSocketStats {
  connections: number;
  connectionsRefused: number;
  messages: number;
  malformed: number;
  oversized: number;
  truncated: number;
}

export class LocalSocketSampler implements EventSampler {
  readonly name = 'local';
  readonly #path: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stats: LocalSocketStats = { connections: 0, connectionsRefused: 0, messages: 0, malformed: 0, oversized: 0, truncated: 0 };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #emit: Emit | undefined;

  constructor(path: string, deps: Pick<SamplerDeps, 'clock' | 'log'>) {
    this.#path = path;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  get stats(): Readonly<LocalSocketStats> {
    return this.#stats;
  }

  async start(emit: Emit): Promise<void> {
    this.#emit = emit;
    await removeStaleSocket(this.#path);
    if (!existsSync(dirname(this.#path))) mkdirSync(dirname(this.#path), { recursive: true, mode: 0o750 });
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => emit.error(err));
    chmodSync(this.#path, SOCKET_MODE);
    this.#server = server;
  }

  sample(emit: Emit): void {
    const s = this.#stats;
    emit.gauge('local_socket', 'open_connections', this.#sockets.size);
    emit.counter('local_socket', 'connections', s.connections);
    emit.counter('local_socket', 'connections_refused', s.connectionsRefused);
    emit.counter('local_socket', 'messages', s.messages);
    emit.counter('local_socket', 'malformed', s.malformed);
    emit.counter('local_socket', 'oversized', s.oversized);
    emit.counter('local_socket', 'truncated', s.truncated);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.#sockets.size >= MAX_CONNECTIONS) {
      this.#stats.connectionsRefused++;
      socket.destroy();
      return;
    }
    this.#stats.connections++;
    this.#sockets.add(socket);
    const splitter = new LineSplitter(MAX_LINE_BYTES, {
      line: (text) => this.#handleLine(text),
      oversized: () => this.#stats.oversized++,
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (splitter.hasPartialLine) this.#stats.truncated++;
      this.#sockets.delete(socket);
    });
  }

  #handleLine(text: string): void {
    const parsed = parseMessage(text);
    if (!parsed.ok) {
      this.#stats.malformed++;
      this.#log.debug({ component: 'local-socket', problem: parsed.error }, 'malformed local message dropped');
      return;
    }
    this.#stats.messages++;
    if (this.#emit) deliver(parsed.message, this.#emit, this.#clock);
  }
}

export function deliver(message: LocalMessage, emit: Emit, clock: Clock): void {
  const timeUs = message.time_us ?? clock.nowUs();
  if (message.type === 'event') {
    emit.event(message.kind, {
      timeUs,
      ...(message.tags ? { tags: message.tags } : {}),
      ...(message.attrs ? { attrs: message.attrs } : {}),
      ...(message.values ? { values: message.values } : {}),
      ...(message.severity !== undefined ? { severity: message.severity } : {}),
    });
    return;
  }
  for (const [field, value] of Object.entries(message.fields ?? {})) {
    emit.gauge(message.measurement, field, value, message.tags, timeUs);
  }
  for (const [field, value] of Object.entries(message.counters ?? {})) {
    emit.counter(message.measurement, field, value, message.tags, timeUs);
  }
}

/**
 * A socket file left by an agent that died is removed; one that still answers belongs to a
 * running agent and is an error, and a non-socket file is never deleted.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path} is in use by another listener`);
  unlinkSync(path);
}
