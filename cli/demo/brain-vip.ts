/**
 * The demo's brain address (the printed wall board and API URL, --http-port): a small HTTP proxy
 * to whichever brain of the pair is primary, the way a floor puts a health-checked virtual
 * address (keepalived, a load balancer) in front of its pair. The wall board, the CLI, the drills
 * and the links in page mails keep working across a take-over; each brain's own URL (printed
 * too) shows that leg, the secondary with the pair's state and where the primary is.
 *
 * Which brain is primary is asked over the pair's UDP status (cheap: no HTTP work on the brains)
 * every `everyMs`; a request goes to the primary.
 *
 * During a take-over (issue #16), decided per what the old primary may have seen:
 *  - it refused the connection (killed): it received nothing, so any request, a POST (an ack,
 *    a silence) too, waits for the new primary (up to `takeoverWaitMs`) and goes there once.
 *    A user's ack during a take-over is then a little slow, not an error. A GET goes at once to
 *    the other brain instead, as before (reads do not wait);
 *  - it had the request and stopped answering (stopped, or reset the connection): a GET is
 *    asked again of the new primary; any other method may have been applied, and is not sent
 *    twice: 503 with `Retry-After` and a message saying so (an ack is safe to repeat);
 *  - no brain became primary within `takeoverWaitMs`: 503 with `Retry-After`.
 * A request body is held (to send it again) up to `MAX_BODY_BYTES`; a larger one is refused
 * (413) and counted. The retries and refusals are counted on the returned object.
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
/**
 * How long a request whose primary refused it waits for the next one: the demo's take-over
 * (8 heartbeats of 500 ms, then the new primary's start) with room for a busy box.
 */
const TAKEOVER_WAIT_MS = 15_000;
/** A request body the proxy holds to send again (the API's bodies are small JSON). */
export const MAX_BODY_BYTES = 1 << 20;
const RETRY_AFTER_S = 2;

export interface BrainVip {
  readonly server: Server;
  /** The leg requests go to first now. */
  current(): string | undefined;
  /** Requests that went to another brain than the one first asked (a take-over). */
  readonly retried: number;
  /** Requests answered 503 (the brain that had them stopped; no primary in time) or 413 (body too large). */
  readonly refused: number;
  stop(): Promise<void>;
}

export async function startBrainVip(o: {
  port: number;
  pair: DemoBrainPair;
  clock: Clock;
  everyMs?: number;
  takeoverWaitMs?: number;
}): Promise<BrainVip> {
  const everyMs = o.everyMs ?? 200;
  const takeoverWaitMs = o.takeoverWaitMs ?? TAKEOVER_WAIT_MS;
  let retried = 0;
  let refused = 0;
  let primary: string | undefined;
  let timer: Timer | undefined;
  let stopped = false;
  const refresh = async () => {
    const leg = await o.pair.primary().catch(() => undefined);
    if (leg) primary = leg.id;
    if (!stopped) timer = o.clock.setTimeout(() => void refresh(), everyMs);
  };
  await refresh();
  const order = (): DemoBrainLeg[] => [...o.pair.legs].sort((a, b) => Number(b.id === primary) - Number(a.id === primary));

  /** The primary once it is another brain than `gone`, or undefined after `takeoverWaitMs`. */
  const nextPrimary = async (gone: string): Promise<DemoBrainLeg | undefined> => {
    const until = o.clock.monotonic() + takeoverWaitMs;
    while (!stopped && o.clock.monotonic() < until) {
      const leg = o.pair.legs.find((l) => l.id === primary);
      if (leg && leg.id !== gone) return leg;
      await new Promise<void>((r) => o.clock.setTimeout(r, everyMs));
    }
    return undefined;
  };
  const unavailable = (res: ServerResponse, why: string) => {
    refused++;
    if (res.headersSent) return void res.end();
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_S) });
    res.end(JSON.stringify({ error: why }));
  };

  /** Sends the request (its body held in `body`) to `leg`; `rest`: where a GET goes if `leg` is gone. */
  const forward = (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    leg: DemoBrainLeg,
    rest: DemoBrainLeg[],
    waited: boolean,
  ): void => {
    const url = new URL(leg.url);
    const up = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A stopped (SIGSTOP) brain accepts connections and never answers: once the other leg has
    // taken over, a request waiting on the stopped one is given up (a GET asked of the other).
    const wasPrimary = primary === leg.id;
    const check = o.clock.setInterval(() => {
      if (wasPrimary && primary !== leg.id && primary !== undefined && !res.headersSent)
        up.destroy(Object.assign(new Error(`${leg.id} is no longer primary`), { code: 'ECONNRESET' }));
    }, 250);
    up.once('close', () => check.cancel());
    up.setTimeout(ANSWER_MS, () => up.destroy(Object.assign(new Error(`no answer in ${ANSWER_MS} ms`), { code: 'ETIMEDOUT' })));
    up.once('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.end();
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (err.code === 'ECONNREFUSED' && read && rest[0]) {
        retried++;
        return forward(req, body, res, rest[0], rest.slice(1), waited);
      }
      if (err.code === 'ECONNREFUSED' && !waited) {
        // Nothing reached the refusing brain: the request waits for the next primary, once.
        void nextPrimary(leg.id).then((next) => {
          if (!next)
            return unavailable(res, `${leg.id} refused the request and no brain became primary within ${takeoverWaitMs} ms: retry`);
          retried++;
          forward(req, body, res, next, [], true);
        });
        return;
      }
      if (err.code === 'ECONNRESET' && read && rest[0]) {
        retried++;
        return forward(req, body, res, rest[0], rest.slice(1), waited);
      }
      if (err.code === 'ECONNRESET')
        return unavailable(
          res,
          `${leg.id} stopped answering during a take-over: the ${req.method ?? ''} may or may not have been applied; retry (an acknowledgement is safe to repeat)`,
        );
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `${leg.id}: ${err.message}` }));
    });
    up.end(body);
  };
  const receive = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.once('end', () => {
      if (bytes > MAX_BODY_BYTES) {
        refused++;
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        return void res.end(JSON.stringify({ error: `request body over ${MAX_BODY_BYTES} bytes` }));
      }
      const [leg, ...rest] = order();
      if (!leg) return unavailable(res, 'the demo pair has no brain');
      forward(req, Buffer.concat(chunks), res, leg, rest, false);
    });
  };
  const server = createServer(receive);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    current: () => primary,
    get retried() {
      return retried;
    },
    get refused() {
      return refused;
    },
    stop: async () => {
      stopped = true;
      timer?.cancel();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
