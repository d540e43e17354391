/**
 * A desk's subscription as the ticker plant holds it: which symbols, where to send, how far the
 * desk says it got (its acknowledged feed seq), and — on the primary only — its delivery stream.
 */
import type { Endpoint } from '../net/udp.js';
import type { SequencedSender } from '../reliable/sender.js';
import { RECORD_BYTES, recordSymbol, recordsView } from '../wire/record.js';

export interface SubscribeMessage {
  t: 'sub';
  id: string;
  session: string;
  symbols: string[];
  /** Highest feed seq the desk has accepted (0: nothing yet, so it needs the current values). */
  pos: number;
  /**
   * The epoch of this plant's stream the desk joined midway and will not accept: the new
   * session asks for a fresh stream to replace that one (absent: no stream refused).
   */
  refused?: number;
}

export function parseSubscribe(m: Record<string, unknown>): SubscribeMessage | null {
  const symbols = m['symbols'];
  if (
    m['t'] !== 'sub' ||
    typeof m['id'] !== 'string' ||
    typeof m['session'] !== 'string' ||
    typeof m['pos'] !== 'number' ||
    (m['refused'] !== undefined && typeof m['refused'] !== 'number') ||
    !Array.isArray(symbols) ||
    symbols.length > 100000 ||
    !symbols.every((s) => typeof s === 'string')
  ) {
    return null;
  }
  return m as unknown as SubscribeMessage;
}

export class Subscription {
  stream: SequencedSender | null = null;
  /** When the stream was opened (monotonic ms) and the first feed seq it carries (0: current values first). */
  streamOpenedAt = -Infinity;
  streamFromFeedSeq = 0;
  ackFeedSeq = 0;
  lastHeardAt: number;
  readonly all: boolean;
  readonly #wanted: Uint8Array;
  readonly unknownSymbols: string[];

  constructor(
    readonly id: string,
    readonly session: string,
    public endpoint: Endpoint,
    symbols: string[],
    symbolIndex: ReadonlyMap<string, number>,
    now: number,
  ) {
    this.lastHeardAt = now;
    this.all = symbols.includes('*');
    this.#wanted = new Uint8Array(symbolIndex.size);
    this.unknownSymbols = [];
    for (const s of symbols) {
      const i = symbolIndex.get(s);
      if (i !== undefined) this.#wanted[i] = 1;
      else if (s !== '*') this.unknownSymbols.push(s);
    }
    if (this.all) this.#wanted.fill(1);
  }

  wants(symbolId: number): boolean {
    return this.#wanted[symbolId] === 1;
  }

  /** Queues the records this desk wants; a desk taking everything gets the run in one copy. */
  forward(body: Buffer, count: number, flags: number): void {
    const s = this.stream;
    if (!s) return;
    if (this.all) {
      s.append(body, count, flags);
      return;
    }
    const records = recordsView(body);
    for (let i = 0; i < count; i++) {
      const off = i * RECORD_BYTES;
      if (this.#wanted[recordSymbol(records, off)] === 1) s.append(body.subarray(off, off + RECORD_BYTES), 1, flags);
    }
  }
}
