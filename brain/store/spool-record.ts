/**
 * One spool record, encoded (brain/store/spool.ts holds the file format's description):
 * u32 payload length | u32 crc32(rest) | f64 seq | u32 lines | u16 agent id length | agent id |
 * payload. Shared by the spool (its own appends) and the ingest worker, which encodes its
 * batches' records itself so the CRC and the copy of every batch's lines are not the alerting
 * thread's work: that thread appends a flush's records as one block (`Spool.appendEncoded`).
 */
import { crc32 } from 'node:zlib';

export const SPOOL_RECORD_HEADER = 4 + 4 + 8 + 4 + 2;

/** The bytes a record takes. */
export function spoolRecordSize(agentId: string, payloadBytes: number): number {
  return SPOOL_RECORD_HEADER + Buffer.byteLength(agentId, 'utf8') + payloadBytes;
}

/**
 * Encodes a record at `at` of `buf`, which has room for `spoolRecordSize(agentId, payload's
 * byte length)`; returns the end.
 */
export function encodeSpoolRecord(
  buf: Buffer,
  at: number,
  agentId: string,
  seq: number,
  lines: number,
  payload: Uint8Array | string,
): number {
  const idLength = Buffer.byteLength(agentId, 'utf8');
  const bodyLength = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  const end = at + SPOOL_RECORD_HEADER + idLength + bodyLength;
  buf.writeUInt32LE(bodyLength, at);
  buf.writeDoubleLE(seq, at + 8);
  buf.writeUInt32LE(lines, at + 16);
  buf.writeUInt16LE(idLength, at + 20);
  buf.write(agentId, at + SPOOL_RECORD_HEADER, 'utf8');
  if (typeof payload === 'string') buf.write(payload, at + SPOOL_RECORD_HEADER + idLength, 'utf8');
  else buf.set(payload, at + SPOOL_RECORD_HEADER + idLength);
  buf.writeUInt32LE(crc32(buf.subarray(at + 8, end)), at + 4);
  return end;
}
