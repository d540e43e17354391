import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv4 } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export const LOOPBACK = '127.0.0.1';

export function endpointKey(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

export function parseEndpoint(text: string): Endpoint {
  const m = /^(.+):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535) throw new Error(`not a host:port endpoint: ${JSON.stringify(text)}`);
  return { host: m[1], port };
}

/** Binds a UDP socket with large kernel buffers: a 100k updates/s burst must not overflow them. */
export function bindUdp(port: number, host = LOOPBACK, bufferBytes = 4 * 1024 * 1024): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', recvBufferSize: bufferBytes, sendBufferSize: bufferBytes, lookup: literalLookup });
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** The narrow face of a socket the stream logic needs; tests pass a fake. */
export interface DatagramOut {
  send(buf: Buffer, to: Endpoint): void;
}

/**
 * Sends at once. The datagrams handed in are often views of a retransmission ring that later
 * datagrams overwrite, so a send must not hold on to one: with an address literal resolved
 * synchronously (below) the datagram is in the kernel before send() returns; only when the
 * socket already has sends queued (its kernel buffer was full) does Node keep the buffer, and
 * then it gets a copy.
 */
export function socketOut(socket: Socket, onError: (err: Error) => void): DatagramOut {
  return {
    send(buf, to) {
      const data = socket.getSendQueueCount() > 0 ? Buffer.from(buf) : buf;
      socket.send(data, to.port, to.host, (err) => {
        if (err) onError(err);
      });
    },
  };
}

/**
 * dgram resolves every destination with dns.lookup, which answers even an IP literal on the
 * next tick: the send, and so the copy into the kernel, happened after the caller had moved on
 * (and a ring could have reused the bytes). Literals are answered at once; names still resolve.
 */
function literalLookup(
  host: string,
  options: LookupOneOptions,
  callback: (err: Error | null, address: string, family: number) => void,
): void {
  if (isIPv4(host)) callback(null, host, 4);
  else dnsLookup(host, options, callback);
}
