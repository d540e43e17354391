/**
 * The brain's gRPC endpoint, with the limits grpc-js does not set by default (issue #2):
 * grpc-js bounds neither concurrent streams per connection, nor idle connections, nor
 * connections per peer. So the brain accepts TCP itself, refuses a peer over its connection
 * quota (and everyone over the global one), closes sockets idle for too long, and only then
 * hands the socket to grpc-js through a connection injector. Streams per connection and
 * message size are grpc-js options; a stream that never says hello is ended by the session.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { execFile } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { FloorwatchError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { isLoopbackHost } from '../../lib/loopback.js';
import { ingestService, type IngestStream } from '../../proto/ingest-service.js';
import type { BrainConfig } from '../config.js';
import type { IngestMetrics } from './metrics.js';

export interface IngestServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startIngestServer(
  config: BrainConfig,
  log: Logger,
  metrics: IngestMetrics,
  onStream: (call: IngestStream) => void,
): Promise<IngestServer> {
  const limits = config.limits;
  await raiseOpenFileLimit(limits.nofile, log);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.max_message_bytes,
    'grpc.max_send_message_length': limits.max_message_bytes,
    'grpc.max_concurrent_streams': limits.max_streams_per_connection,
    'grpc.max_connection_idle_ms': limits.idle_timeout_ms,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc-node.max_session_memory': 32,
  });
  server.addService(ingestService, { stream: onStream });
  const injector = server.createConnectionInjector(serverCredentials(config, log));

  const perPeer = new Map<string, number>();
  let total = 0;
  const tcp: NetServer = createServer({ noDelay: true }, (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    const count = perPeer.get(peer) ?? 0;
    const refuse =
      total >= limits.max_connections
        ? 'max_connections'
        : count >= limits.max_connections_per_peer
          ? 'max_connections_per_peer'
          : undefined;
    if (refuse) {
      metrics.refusedConnections.inc(1, { reason: refuse });
      socket.destroy();
      return;
    }
    perPeer.set(peer, count + 1);
    total++;
    socket.once('close', () => {
      total--;
      const n = (perPeer.get(peer) ?? 1) - 1;
      if (n <= 0) perPeer.delete(peer);
      else perPeer.set(peer, n);
    });
    socket.on('error', () => socket.destroy());
    // Hand the socket to grpc-js only once the peer has spoken (HTTP/2 preface or TLS hello).
    // A socket that never speaks is closed here: once an HTTP/2 session owns it, a silent
    // socket is never closed by grpc-js, and destroying the net.Socket no longer closes it.
    const deadline = setTimeout(() => {
      metrics.refusedConnections.inc(1, { reason: 'silent' });
      socket.destroy();
    }, limits.hello_timeout_ms);
    deadline.unref();
    socket.once('readable', () => {
      clearTimeout(deadline);
      injector.injectConnection(socket);
    });
  });
  const { host, port } = splitAddress(config.listen);
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host, port, backlog: 4096 }, () => resolve());
  });
  const bound = tcp.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        tcp.close();
        injector.drain(500);
        server.tryShutdown(() => {
          injector.destroy();
          resolve();
        });
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1500).unref();
      }),
  };
}

function serverCredentials(config: BrainConfig, log: Logger): grpc.ServerCredentials {
  checkIngestTransport(config);
  const tls = config.tls;
  if (!tls) {
    const loopback = isLoopbackHost(splitAddress(config.listen).host);
    log.warn(
      { listen: config.listen },
      loopback
        ? 'ingest without TLS (plaintext): acceptable on loopback and for the demo only'
        : 'ingest listens WITHOUT TLS on a non-loopback address (allow_plaintext: true)',
    );
    return grpc.ServerCredentials.createInsecure();
  }
  const ca = tls.ca ? readFileSync(tls.ca) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ private_key: readFileSync(tls.key), cert_chain: readFileSync(tls.cert) }],
    tls.require_client_cert,
  );
}

/**
 * Refuses a transport that would be weaker than it looks, before anything listens (review S5):
 * plaintext on a non-loopback address, where the agents' token would cross the floor in clear,
 * unless `allow_plaintext: true` says so (a lab network); and client certificates required with
 * no CA to check them against (grpc-js would silently not ask for them).
 */
export function checkIngestTransport(config: Pick<BrainConfig, 'listen' | 'tls' | 'allow_plaintext'>): void {
  const { tls } = config;
  if (tls?.require_client_cert && !tls.ca) {
    throw new FloorwatchError(
      'FW_ERR_CONFIG_INVALID',
      "tls.require_client_cert needs tls.ca, the CA that signs the agents' certificates (or require_client_cert: false)",
    );
  }
  if (!tls && !config.allow_plaintext && !isLoopbackHost(splitAddress(config.listen).host)) {
    throw new FloorwatchError(
      'FW_ERR_CONFIG_INVALID',
      `listen ${config.listen} is not a loopback address and there is no tls section: agents' tokens and data would cross the network in clear (configure tls, or set allow_plaintext: true)`,
    );
  }
}

/** Identities a client certificate vouches for (CN and DNS SANs), or undefined without mTLS. */
export function certIdentities(call: IngestStream): string[] | undefined {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert || !cert.subject) return undefined;
  const ids: string[] = [];
  const cn = cert.subject.CN;
  if (typeof cn === 'string') ids.push(cn);
  for (const part of (cert.subjectaltname ?? '').split(/,\s*/)) if (part.startsWith('DNS:')) ids.push(part.slice(4));
  return ids;
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/**
 * Thousands of agent connections need file descriptors. Node has no setrlimit; prlimit does.
 * The soft limit is raised to the configured value, or to the hard limit when that is lower
 * (a container may forbid raising the hard limit).
 */
async function raiseOpenFileLimit(nofile: number, log: Logger): Promise<void> {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\d+)\s+(\d+|unlimited)/m.exec(limits);
  if (!m) return;
  const [soft, hard] = [Number(m[1]), m[2] === 'unlimited' ? Infinity : Number(m[2])];
  const target = Math.min(nofile, hard);
  if (soft >= target) return;
  await new Promise<void>((resolve) => {
    execFile('prlimit', [`--pid=${process.pid}`, `--nofile=${target}:${m[2] === 'unlimited' ? 'unlimited' : hard}`], (err) => {
      if (err) log.warn({ nofile: target, err: err.message.split('\n')[0] }, 'could not raise the open-file limit');
      else if (target < nofile) log.info({ nofile: target, wanted: nofile }, 'open-file limit raised to the hard limit only');
      resolve();
    });
  });
}
