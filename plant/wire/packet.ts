/**
 * Datagram framing for every sequenced stream (provider line, feed handler → ticker plants,
 * ticker plant → desk). The paper: "a reliable delivery mechanism is built into the data portion
 * of the packets which contains a sequence number" — this is that header.
 */
import { RECORD_BYTES } from './record.js';

export const MAGIC = 0x5746;
export const VERSION = 1;
export const HEADER_BYTES = 24;
export const RANGE_BYTES = 32;
/** Loopback carries 64 KiB datagrams; staying far below keeps one lost datagram cheap. */
export const MAX_RECORDS_PER_DATAGRAM = 1000;

export const PacketType = { data: 1, nak: 2, gap: 3, position: 4 } as const;
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType];

export const Flag = {
  retransmit: 1,
  snapshot: 2,
  /** The sender's own input is stale: downstream must not present its values as live. */
  feedStale: 4,
  replay: 8,
} as const;

export interface PacketHeader {
  type: PacketTypeCode;
  flags: number;
  count: number;
  epoch: number;
  term: number;
  /** data: stream seq of the first record; nak/gap: first seq of the range; position: next seq. */
  seq: number;
  /** nak/gap only: last seq of the range, inclusive. */
  to: number;
}

export function writeHeader(buf: Buffer, h: Omit<PacketHeader, 'to'>): void {
  buf.writeUInt16LE(MAGIC, 0);
  buf.writeUInt8(VERSION, 2);
  buf.writeUInt8(h.type, 3);
  buf.writeUInt16LE(h.flags, 4);
  buf.writeUInt16LE(h.count, 6);
  buf.writeUInt32LE(h.epoch >>> 0, 8);
  buf.writeUInt32LE(h.term >>> 0, 12);
  buf.writeDoubleLE(h.seq, 16);
}

export function encodeRange(
  type: typeof PacketType.nak | typeof PacketType.gap,
  epoch: number,
  term: number,
  from: number,
  to: number,
): Buffer {
  const buf = Buffer.allocUnsafe(RANGE_BYTES);
  writeHeader(buf, { type, flags: 0, count: 0, epoch, term, seq: from });
  buf.writeDoubleLE(to, 24);
  return buf;
}

export function encodePosition(epoch: number, term: number, nextSeq: number, flags: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(buf, { type: PacketType.position, flags, count: 0, epoch, term, seq: nextSeq });
  return buf;
}

/** True when the datagram starts like one of ours; JSON control messages start with '{'. */
export function isBinaryPacket(buf: Buffer): boolean {
  return buf.length >= HEADER_BYTES && buf.readUInt16LE(0) === MAGIC;
}

/** Parses and bounds-checks a header; null means malformed (the caller counts and drops it). */
export function readHeader(buf: Buffer): PacketHeader | null {
  if (!isBinaryPacket(buf) || buf.readUInt8(2) !== VERSION) return null;
  const type = buf.readUInt8(3);
  const count = buf.readUInt16LE(6);
  const seq = buf.readDoubleLE(16);
  if (!Number.isSafeInteger(seq) || seq < 0) return null;
  let to = seq;
  if (type === PacketType.data) {
    if (count === 0 || count > MAX_RECORDS_PER_DATAGRAM || buf.length !== HEADER_BYTES + count * RECORD_BYTES) return null;
  } else if (type === PacketType.position) {
    if (buf.length !== HEADER_BYTES) return null;
  } else if (type === PacketType.nak || type === PacketType.gap) {
    if (buf.length !== RANGE_BYTES) return null;
    to = buf.readDoubleLE(24);
    if (!Number.isSafeInteger(to) || to < seq) return null;
  } else {
    return null;
  }
  return { type, flags: buf.readUInt16LE(4), count, epoch: buf.readUInt32LE(8), term: buf.readUInt32LE(12), seq, to };
}
