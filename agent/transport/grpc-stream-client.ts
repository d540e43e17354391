/**
 * One gRPC bidirectional-streaming call over its own HTTP/2 connection, on node:http2. The
 * agent makes exactly one RPC (Ingest/Stream); loading @grpc/grpc-js for it cost the agent
 * 3–4 MB of its RSS (docs/architecture.md, "The agent's own gRPC client").
 *
 * What it does of gRPC over HTTP/2: the request headers, 5-byte length-prefixed messages, the
 * status from trailers (or a trailers-only response), flow control through the HTTP/2 stream
 * (write() returns false until 'drain'), PING keepalive so a brain that stops answering is
 * noticed, a bound on received message size, TLS (optionally mutual), and RST_STREAM CANCEL.
 * No compression, no metadata beyond the required headers: the agent needs neither.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Clock, Timer } from '../../lib/clock.js';
import { GrpcStatus, grpcStatusName } from '../../lib/grpc-status.js';
import { VERSION } from '../../lib/version.js';

export interface GrpcTls {
  ca: Buffer;
  key?: Buffer;
  cert?: Buffer;
  /** The name the server's certificate must carry, when it differs from the host dialled. */
  serverName?: string;
}

export interface GrpcStreamOptions {
  clock: Clock;
  /** host:port, [v6]:port */
  address: string;
  path: string;
  tls?: GrpcTls;
  maxReceiveBytes: number;
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

export interface CallStatus {
  code: number;
  details: string;
}

export interface GrpcStreamHandlers {
  message(bytes: Buffer): void;
  drain(): void;
  /** Called once, when the call is over for any reason other than cancel(). */
  closed(status: CallStatus): void;
}

const PREFIX_BYTES = 5;

export function describeStatus(status: CallStatus): string {
  return `${grpcStatusName(status.code)}: ${status.details}`;
}

export class GrpcStreamCall {
  readonly #o: GrpcStreamOptions;
  readonly #on: GrpcStreamHandlers;
  readonly #session: ClientHttp2Session;
  readonly #stream: ClientHttp2Stream;
  /** Received bytes not yet a whole message, and how many bytes the next step needs. */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #needBytes = PREFIX_BYTES;
  #status: CallStatus | undefined;
  #transportError: string | undefined;
  #done = false;
  #keepalive: Timer | undefined;
  #pingDeadline: Timer | undefined;

  constructor(opts: GrpcStreamOptions, handlers: GrpcStreamHandlers) {
    this.#o = opts;
    this.#on = handlers;
    const { tls } = opts;
    const authority = `${tls ? 'https' : 'http'}://${opts.address}`;
    this.#session = connect(
      authority,
      tls ? { ca: tls.ca, key: tls.key, cert: tls.cert, ...(tls.serverName ? { servername: tls.serverName } : {}) } : {},
    );
    this.#session.on('error', (err) => (this.#transportError ??= err.message));
    this.#session.on('goaway', (code) => (this.#transportError ??= `the brain closed the connection (GOAWAY ${code})`));
    this.#session.on('close', () => this.#finish());
    this.#stream = this.#session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: opts.path,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [constants.HTTP2_HEADER_TE]: 'trailers',
      [constants.HTTP2_HEADER_USER_AGENT]: `floorwatch-agent/${VERSION}`,
    });
    this.#stream.on('response', (headers) => this.#onResponse(headers));
    this.#stream.on('trailers', (trailers) => this.#onTrailers(trailers));
    this.#stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#stream.on('drain', () => {
      if (!this.#done) this.#on.drain();
    });
    // A stream cancelled because its connection failed carries the connection's error as cause.
    this.#stream.on('error', (err: Error) => (this.#transportError ??= err.cause instanceof Error ? err.cause.message : err.message));
    // The brain's end of the stream (trailers came first) ends the call; our half is closed then.
    this.#stream.on('end', () => this.#finish());
    this.#stream.on('close', () => this.#finish());
    this.#session.once('remoteSettings', () => this.#startKeepalive());
  }

  /** Sends one message; false means "wait for drain" (the message is queued all the same). */
  write(message: Uint8Array): boolean {
    if (this.#done) return false;
    const frame = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
    frame[0] = 0; // not compressed
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, PREFIX_BYTES);
    return this.#stream.write(frame);
  }

  /** Abandons the call: RST_STREAM CANCEL, connection closed. No handler runs after this. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopKeepalive();
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
    this.#session.close();
  }

  #onResponse(headers: IncomingHttpHeaders): void {
    const httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS]);
    if (headers['grpc-status'] !== undefined)
      this.#onTrailers(headers); // trailers-only response
    else if (httpStatus !== 200) this.#fail({ code: statusOfHttp(httpStatus), details: `HTTP status ${httpStatus}` });
    else if (!String(headers[constants.HTTP2_HEADER_CONTENT_TYPE] ?? '').startsWith('application/grpc')) {
      this.#fail({
        code: GrpcStatus.UNKNOWN,
        details: `not a gRPC response (content-type ${headers[constants.HTTP2_HEADER_CONTENT_TYPE]})`,
      });
    }
  }

  #onTrailers(trailers: IncomingHttpHeaders): void {
    const code = Number(trailers['grpc-status']);
    const message = trailers['grpc-message'];
    this.#status ??= {
      code: Number.isInteger(code) ? code : GrpcStatus.UNKNOWN,
      details: typeof message === 'string' ? percentDecode(message) : '',
    };
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    this.#parts.push(chunk);
    this.#partsBytes += chunk.length;
    // A big message arrives in many chunks: they are joined once it is whole, not chunk by chunk.
    if (this.#partsBytes < this.#needBytes) return;
    const buf = this.#parts.length === 1 ? chunk : Buffer.concat(this.#parts, this.#partsBytes);
    let offset = 0;
    this.#needBytes = PREFIX_BYTES;
    while (!this.#done && buf.length - offset >= PREFIX_BYTES) {
      if (buf[offset] !== 0)
        return this.#fail({ code: GrpcStatus.INTERNAL, details: 'compressed message, but no compression was negotiated' });
      const length = buf.readUInt32BE(offset + 1);
      if (length > this.#o.maxReceiveBytes) {
        return this.#fail({
          code: GrpcStatus.RESOURCE_EXHAUSTED,
          details: `received message larger than max (${length} vs. ${this.#o.maxReceiveBytes})`,
        });
      }
      const end = offset + PREFIX_BYTES + length;
      if (end > buf.length) {
        this.#needBytes = PREFIX_BYTES + length;
        break;
      }
      this.#on.message(buf.subarray(offset + PREFIX_BYTES, end));
      offset = end;
    }
    // What is kept is less than one message, and a message is at most maxReceiveBytes.
    const rest = buf.subarray(offset);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#partsBytes = rest.length;
  }

  #startKeepalive(): void {
    if (this.#done) return;
    const timeoutMs = this.#o.keepaliveTimeoutMs ?? 5_000;
    this.#keepalive = this.#o.clock.setInterval(() => {
      if (this.#pingDeadline) return;
      this.#pingDeadline = this.#o.clock.setTimeout(
        () => this.#fail({ code: GrpcStatus.UNAVAILABLE, details: `keepalive ping not answered within ${timeoutMs} ms` }),
        timeoutMs,
      );
      const sent = this.#session.ping((err) => {
        if (err) return; // the session is going away; its close reports why
        this.#pingDeadline?.cancel();
        this.#pingDeadline = undefined;
      });
      if (!sent) this.#fail({ code: GrpcStatus.UNAVAILABLE, details: 'keepalive ping could not be sent' });
    }, this.#o.keepaliveMs ?? 10_000);
  }

  #stopKeepalive(): void {
    this.#keepalive?.cancel();
    this.#pingDeadline?.cancel();
    this.#pingDeadline = undefined;
  }

  /**
   * Ends the call from our side with a status of our own (a protocol breach, a peer that stopped
   * answering). The connection is destroyed, not closed: a frozen peer would hold a graceful close.
   */
  #fail(status: CallStatus): void {
    if (this.#done) return;
    this.#status = status;
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
    this.#session.destroy();
    this.#finish();
  }

  /** Runs on the stream's end or close, the session's close (whichever is first) and on #fail. */
  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopKeepalive();
    const status = this.#status ?? this.#statusOfTransport();
    if (!this.#stream.closed) this.#stream.close(constants.NGHTTP2_NO_ERROR);
    if (!this.#session.closed) this.#session.close();
    this.#on.closed(status);
  }

  #statusOfTransport(): CallStatus {
    const rst = this.#stream.rstCode;
    if (this.#transportError) return { code: GrpcStatus.UNAVAILABLE, details: this.#transportError };
    if (rst === constants.NGHTTP2_REFUSED_STREAM) return { code: GrpcStatus.UNAVAILABLE, details: 'stream refused by the brain' };
    if (rst === constants.NGHTTP2_CANCEL) return { code: GrpcStatus.CANCELLED, details: 'stream cancelled by the brain' };
    if (rst) return { code: GrpcStatus.INTERNAL, details: `stream reset by the brain (HTTP/2 error ${rst})` };
    if (this.#stream.readableEnded) return { code: GrpcStatus.INTERNAL, details: 'the brain ended the stream without a gRPC status' };
    return { code: GrpcStatus.UNAVAILABLE, details: 'connection closed without a status' };
  }
}

/** The gRPC spec's mapping of HTTP statuses for responses that are not gRPC. */
function statusOfHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** grpc-message is percent-encoded (UTF-8); a malformed one is shown as sent. */
export function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
