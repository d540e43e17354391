/**
 * One SNPP (RFC 1861) conversation over a raw TCP socket: read a greeting, send a command, wait
 * for its final reply. A reply may be preceded by informational 214/218 lines (HELP) or by
 * "ddd-" continuation lines; a command is only ever sent after a final reply.
 */
import { connect, type Socket } from 'node:net';
import type { Clock, Timer } from '../../lib/clock.js';

export interface SnppReply {
  readonly code: number;
  /** All lines of the reply, the final one last. */
  readonly lines: readonly string[];
  readonly text: string;
}

/** Why a session ended without a reply; the channel maps it to a FailureReason. */
export class SnppTransportError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'closed' | 'protocol',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SnppTransportError';
  }
}

const MAX_LINE_BYTES = 4096;
const MAX_REPLY_LINES = 64;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export class SnppSession {
  readonly #socket: Socket;
  readonly #clock: Clock;
  readonly #replyTimeoutMs: number;
  #buffer = '';
  #pendingLines: string[] = [];
  #failure: SnppTransportError | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket, clock: Clock, replyTimeoutMs: number) {
    this.#socket = socket;
    this.#clock = clock;
    this.#replyTimeoutMs = replyTimeoutMs;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(transportError(err)));
    socket.on('close', () => this.#fail(new SnppTransportError('closed', 'the server closed the connection')));
  }

  /** Connects within connectTimeoutMs; rejects with SnppTransportError. */
  static open(opts: {
    host: string;
    port: number;
    connectTimeoutMs: number;
    replyTimeoutMs: number;
    clock: Clock;
    signal: AbortSignal;
  }): Promise<SnppSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: opts.host, port: opts.port, noDelay: true });
      const finish = (err?: SnppTransportError) => {
        timer.cancel();
        opts.signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve(new SnppSession(socket, opts.clock, opts.replyTimeoutMs));
      };
      const onError = (err: Error) => finish(transportError(err));
      const onAbort = () => finish(new SnppTransportError('timeout', 'aborted while connecting'));
      const timer: Timer = opts.clock.setTimeout(
        () => finish(new SnppTransportError('timeout', `no connection within ${opts.connectTimeoutMs} ms`)),
        opts.connectTimeoutMs,
      );
      if (opts.signal.aborted) return onAbort();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => finish());
    });
  }

  /** Sends one command line and waits for its final reply. */
  async command(line: string, signal: AbortSignal): Promise<SnppReply> {
    if (/[\r\n]/.test(line)) throw new SnppTransportError('protocol', 'a command must be a single line');
    this.#socket.write(`${line}\r\n`, 'latin1');
    return this.reply(signal);
  }

  /** Waits for the next final reply (the greeting, or the answer to the last command). */
  async reply(signal: AbortSignal): Promise<SnppReply> {
    const lines: string[] = [];
    const deadline = this.#clock.monotonic() + this.#replyTimeoutMs;
    for (;;) {
      const line = await this.#nextLine(deadline, signal);
      lines.push(line);
      if (lines.length > MAX_REPLY_LINES) throw new SnppTransportError('protocol', `reply longer than ${MAX_REPLY_LINES} lines`);
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!m) throw new SnppTransportError('protocol', `not an SNPP reply: ${JSON.stringify(line.slice(0, 80))}`);
      const code = Number(m[1]);
      const continues = m[2] === '-' || code === 214 || code === 218;
      if (!continues) return { code, lines, text: line };
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      this.#pendingLines.push(this.#buffer.slice(0, nl).replace(/\r$/, ''));
      this.#buffer = this.#buffer.slice(nl + 1);
    }
    // A bounded buffer: a server that never ends its line is broken, not slow.
    if (this.#buffer.length > MAX_LINE_BYTES)
      this.#fail(new SnppTransportError('protocol', `reply line longer than ${MAX_LINE_BYTES} bytes`));
    if (this.#pendingLines.length > MAX_REPLY_LINES * 2) this.#fail(new SnppTransportError('protocol', 'server floods replies'));
    this.#wake?.();
  }

  #fail(err: SnppTransportError): void {
    this.#failure ??= err;
    this.#socket.destroy();
    this.#wake?.();
  }

  async #nextLine(deadline: number, signal: AbortSignal): Promise<string> {
    for (;;) {
      const line = this.#pendingLines.shift();
      if (line !== undefined) return line;
      if (this.#failure) throw this.#failure;
      if (signal.aborted) throw new SnppTransportError('timeout', 'aborted while waiting for a reply');
      const left = deadline - this.#clock.monotonic();
      if (left <= 0) throw new SnppTransportError('timeout', `no reply within ${this.#replyTimeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = () => {
          timer.cancel();
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        const timer = this.#clock.setTimeout(done, left);
        signal.addEventListener('abort', done, { once: true });
        this.#wake = done;
      });
    }
  }
}

function transportError(err: Error): SnppTransportError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const kind = UNREACHABLE_CODES.has(code) ? 'unreachable' : 'closed';
  return new SnppTransportError(kind, `${code || 'socket error'}: ${err.message}`, { cause: err });
}
