/**
 * The demo's brain address (the printed wall board and API URL, --http-port): a small HTTP proxy
 * to whichever brain of the pair is primary, the way a floor puts a health-checked virtual
 * address (keepalived, a load balancer) in front of its pair. The wall board, the CLI, the drills
 * and the links in page mails keep working across a take-over; each brain's own URL (printed
 * too) shows that leg, the secondary with the pair's state and where the primary is.
 *
 * Which brain is primary is asked over the pair's UDP status (cheap: no HTTP work on the brains)
 * every `everyMs`; a request goes to the primary, and to the other brain if the primary does not
 * accept the connection (killed a moment ago). Nothing is buffered beyond what node's streams hold.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock, Timer } from '../../lib/clock.js';
import type { DemoBrainLeg, DemoBrainPair } from './brain-pair.js';

/**
 * How long a brain may take to answer. A brain on a busy box can take seconds (a sign-in's
 * password hash at load 30 took more than 3 s): only a brain that is no longer primary is given
 * up on, so a slow primary is never replaced by the secondary's empty incident list.
 */
const ANSWER_MS = 20_000;
const GONE = new Set(['ECONNREFUSED', 'ECONNRESET']);

export interface BrainVip {
  readonly server: Server;
  /** The leg requests go to first now. */
  current(): string | undefined;
  stop(): Promise<void>;
}

export async function startBrainVip(o: { port: number; pair: DemoBrainPair; clock: Clock; everyMs?: number }): Promise<BrainVip> {
  let primary: string | undefined;
  let timer: Timer | undefined;
  let stopped = false;
  const refresh = async () => {
    const leg = await o.pair.primary().catch(() => undefined);
    if (leg) primary = leg.id;
    if (!stopped) timer = o.clock.setTimeout(() => void refresh(), o.everyMs ?? 200);
  };
  await refresh();
  const order = (): DemoBrainLeg[] => [...o.pair.legs].sort((a, b) => Number(b.id === primary) - Number(a.id === primary));

  const forward = (req: IncomingMessage, res: ServerResponse, legs: DemoBrainLeg[]): void => {
    const [leg, ...rest] = legs;
    if (!leg) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'neither brain of the demo pair answers' }));
      return;
    }
    const url = new URL(leg.url);
    const up = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A stopped (SIGSTOP) brain accepts connections and never answers: once the other leg has
    // taken over, a GET waiting on the stopped one is asked of it instead.
    const wasPrimary = primary === leg.id;
    const check = o.clock.setInterval(() => {
      if (wasPrimary && primary !== leg.id && primary !== undefined && !res.headersSent)
        up.destroy(Object.assign(new Error(`${leg.id} is no longer primary`), { code: 'ECONNRESET' }));
    }, 250);
    up.once('close', () => check.cancel());
    up.setTimeout(ANSWER_MS, () => up.destroy(Object.assign(new Error(`no answer in ${ANSWER_MS} ms`), { code: 'ETIMEDOUT' })));
    up.once('error', (err: NodeJS.ErrnoException) => {
      // Gone (killed, or no longer primary): the next leg may take it (a body is gone: only GETs retry).
      if (GONE.has(err.code ?? '') && !res.headersSent && req.method === 'GET') return forward(req, res, rest);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `${leg.id}: ${err.message}` }));
    });
    req.pipe(up);
  };
  const server = createServer((req, res) => forward(req, res, order()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    current: () => primary,
    stop: async () => {
      stopped = true;
      timer?.cancel();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
