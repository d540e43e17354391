import { createSocket, type Socket } from 'node:dgram';

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
    const socket = createSocket({ type: 'udp4', recvBufferSize: bufferBytes, sendBufferSize: bufferBytes });
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

export function socketOut(socket: Socket, onError: (err: Error) => void): DatagramOut {
  return {
    send(buf, to) {
      socket.send(buf, to.port, to.host, (err) => {
        if (err) onError(err);
      });
    },
  };
}
