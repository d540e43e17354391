/** What every plant process shares: its socket, its demultiplexer, and a clean exit with a summary. */
import type { Socket, RemoteInfo } from 'node:dgram';
import type { Logger } from '../../lib/log.js';
import { bindUdp, socketOut, type DatagramOut, type Endpoint } from '../net/udp.js';
import { ProcessPauses } from '../stats/process-pauses.js';
import { isBinaryPacket, readHeader, type PacketHeader } from '../wire/packet.js';

export interface Component {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Counts for the one-line JSON printed on SIGTERM. */
  summary(): Record<string, unknown>;
  /** The end of a benchmark's warm-up (SIGUSR2): latency measured from here on is steady state. */
  markSteadyState?(): void;
}

export interface Handlers {
  packet: (h: PacketHeader, buf: Buffer, from: Endpoint) => void;
  json: (msg: Record<string, unknown>, from: Endpoint) => void;
}

export interface OpenSocket {
  socket: Socket;
  out: DatagramOut;
  counters: { malformed: number; sendErrors: number };
  close(): Promise<void>;
}

/** Binds the component's one port; binary stream packets and JSON control messages share it. */
export async function openSocket(port: number, host: string, bufferBytes: number, handlers: Handlers, log: Logger): Promise<OpenSocket> {
  const socket = await bindUdp(port, host, bufferBytes);
  const counters = { malformed: 0, sendErrors: 0 };
  socket.on('error', (err) => log.warn({ err }, 'socket error'));
  socket.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
    const from = { host: rinfo.address, port: rinfo.port };
    if (isBinaryPacket(buf)) {
      const h = readHeader(buf);
      if (h) handlers.packet(h, buf, from);
      else counters.malformed++;
      return;
    }
    const msg = parseJsonObject(buf);
    if (msg) handlers.json(msg, from);
    else counters.malformed++;
  });
  const out = socketOut(socket, () => counters.sendErrors++);
  return { socket, out, counters, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

function parseJsonObject(buf: Buffer): Record<string, unknown> | null {
  if (buf.length > 65536 || buf[0] !== 0x7b) return null;
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function sendJson(out: DatagramOut, msg: object, to: Endpoint): void {
  out.send(Buffer.from(JSON.stringify(msg)), to);
}

/**
 * Runs until SIGTERM/SIGINT, then stops the components and prints each one's summary as one
 * JSON line (a process may run several desks), with the process's GC pauses and event-loop
 * delay. SIGUSR2 ends a benchmark's warm-up: those and the latency histograms start over.
 */
export function runUntilSignal(components: Component[], log: Logger): void {
  const pauses = new ProcessPauses();
  process.on('SIGUSR2', () => {
    pauses.markSteadyState();
    for (const c of components) c.markSteadyState?.();
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void Promise.all(components.map((c) => c.stop().catch((err: unknown) => log.error({ err, component: c.id }, 'stop failed')))).finally(
      () => {
        const processPauses = pauses.summary();
        const lines = components.map((c) => JSON.stringify({ component: c.id, signal, ...c.summary(), process: processPauses }) + '\n');
        process.stdout.write(lines.join(''), () => process.exit(0));
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function randomEpoch(): number {
  return (Math.random() * 0xffffffff) >>> 0 || 1;
}
