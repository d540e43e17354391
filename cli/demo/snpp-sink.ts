/**
 * A tiny RFC 1861 (SNPP level 1) gateway for the demo: accepts PAGE/MESS/SEND and keeps each
 * page instead of calling a paging provider. LOGI, SITE, RESE, HELP and QUIT are answered so a
 * HylaFAX-style client works too. One page per SEND, with every pager id given since the last
 * SEND or RESE.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ReceivedLog } from './received-log.js';

export interface ReceivedPage {
  /** Epoch ms when SEND was accepted: "page accepted" in the drills. */
  readonly at: number;
  readonly pagerIds: readonly string[];
  readonly message: string;
}

const MAX_LINE_BYTES = 4096;
const MAX_PAGERS_PER_PAGE = 32;

export interface SnppSink {
  readonly port: number;
  readonly pages: ReceivedLog<ReceivedPage>;
  stop(): Promise<void>;
}

export async function startSnppSink(o: { host: string; port: number; file: string; now?: () => number }): Promise<SnppSink> {
  const pages = new ReceivedLog<ReceivedPage>(o.file);
  const now = o.now ?? Date.now;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    converse(socket, (page) => pages.add({ at: now(), ...page }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : o.port,
    pages,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function converse(socket: Socket, onPage: (p: { pagerIds: string[]; message: string }) => void): void {
  let pagerIds: string[] = [];
  let message: string | undefined;
  let buffer = '';
  const reply = (line: string) => socket.write(`${line}\r\n`);
  socket.setEncoding('latin1');
  socket.on('error', () => socket.destroy());
  reply('220 floorwatch demo SNPP sink ready');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE_BYTES) {
      reply('421 line too long');
      return void socket.destroy();
    }
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'PAGE':
          if (!/^[\x21-\x7e]+$/.test(arg)) reply('550 pager id must be one printable token');
          else if (pagerIds.length >= MAX_PAGERS_PER_PAGE) reply('552 too many pager ids');
          else (pagerIds.push(arg), reply('250 pager id accepted'));
          break;
        case 'MESS':
          if (message !== undefined) reply('503 message already entered');
          else ((message = arg), reply('250 message ok'));
          break;
        case 'SEND':
          if (pagerIds.length === 0 || message === undefined) reply('503 need PAGE and MESS first');
          else {
            onPage({ pagerIds, message });
            pagerIds = [];
            message = undefined;
            reply('250 page accepted');
          }
          break;
        case 'RESE':
          pagerIds = [];
          message = undefined;
          reply('250 reset ok');
          break;
        case 'LOGI':
        case 'SITE':
          reply('250 ok');
          break;
        case 'HELP':
          reply('214 PAGE MESS SEND RESE LOGI QUIT');
          reply('250 end of help');
          break;
        case 'QUIT':
          reply('221 goodbye');
          return void socket.end();
        default:
          reply('500 command not implemented');
      }
    }
  });
}
