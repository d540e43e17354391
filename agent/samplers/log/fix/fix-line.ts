/**
 * One line of a FIX engine's message log, parsed without regular expressions: the engine's
 * timestamp prefix, if any (`20261123-08:00:00.123 : ` QuickFIX C++ and QuickFIX/n, `...123: `
 * QuickFIX/J FileLog, `2026-11-23 08:00:00,123 INFO ...` a log4j/logback layout), then the raw
 * message from `8=FIX` on, its fields split by whatever follows the BeginString's value: SOH,
 * `|`, `^` (engines and log settings differ). Only the fields session health needs are read;
 * an application message stops at the end of its standard header.
 */
import { parseTimestampUs } from '../timestamp.js';

export interface FixLine {
  msgType: string;
  sender: string;
  target: string;
  seq: number;
  /** The engine's log time (prefix), else SendingTime (52), µs since the epoch; NaN when neither parses. */
  timeUs: number;
  testReqId: string | undefined;
  heartBtInt: number | undefined;
  possDup: boolean;
  gapFill: boolean;
  reset: boolean;
  text: string | undefined;
}

/** Session-level (admin) message types: parsed whole; anything else stops after the header. */
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A']);
const EQ = 0x3d;
const BEGIN = Buffer.from('8=FIX');

/** `8=FIX` anywhere in the line (after the engine's prefix); -1 when the line holds no FIX message. */
export function fixStart(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(BEGIN, start);
  return at >= 0 && at < end ? at : -1;
}

/** Parses the message starting at `at` (from `fixStart`); undefined when its header is incomplete. */
export function parseFixLine(buf: Buffer, start: number, at: number, end: number, utcOffsetMinutes: number): FixLine | undefined {
  const delim = delimiterAfterBegin(buf, at + 2, end);
  if (delim < 0) return undefined;
  const m: FixLine = {
    msgType: '',
    sender: '',
    target: '',
    seq: NaN,
    timeUs: NaN,
    testReqId: undefined,
    heartBtInt: undefined,
    possDup: false,
    gapFill: false,
    reset: false,
    text: undefined,
  };
  let sendingTime: string | undefined;
  let admin = true;
  let p = at;
  while (p < end) {
    let tag = 0;
    while (p < end && buf[p] !== EQ) tag = tag * 10 + (buf[p++]! - 48);
    const vStart = ++p;
    let vEnd = buf.indexOf(delim, vStart);
    if (vEnd < 0 || vEnd > end) vEnd = end;
    p = vEnd + 1;
    switch (tag) {
      case 35:
        m.msgType = buf.toString('latin1', vStart, vEnd);
        admin = ADMIN.has(m.msgType);
        break;
      case 49:
        m.sender = buf.toString('latin1', vStart, vEnd);
        break;
      case 56:
        m.target = buf.toString('latin1', vStart, vEnd);
        break;
      case 34:
        m.seq = Number(buf.toString('latin1', vStart, vEnd));
        break;
      case 52:
        sendingTime = buf.toString('latin1', vStart, vEnd);
        break;
      case 43:
        m.possDup = buf[vStart] === 0x59; // Y
        break;
      case 112:
        m.testReqId = buf.toString('latin1', vStart, vEnd);
        break;
      case 108:
        m.heartBtInt = Number(buf.toString('latin1', vStart, vEnd));
        break;
      case 123:
        m.gapFill = buf[vStart] === 0x59;
        break;
      case 141:
        m.reset = buf[vStart] === 0x59;
        break;
      case 58:
        m.text = buf.toString('latin1', vStart, Math.min(vEnd, vStart + 256));
        break;
    }
    // The standard header is all an application message is read for.
    if (!admin && m.sender && m.target && sendingTime !== undefined && !Number.isNaN(m.seq)) break;
  }
  if (!m.msgType || !m.sender || !m.target) return undefined;
  m.timeUs = prefixTimeUs(buf, start, at, utcOffsetMinutes) ?? (sendingTime ? (parseTimestampUs(sendingTime, 'fix') ?? NaN) : NaN);
  return m;
}

/** The byte after the BeginString's value (`FIX.4.4`, `FIXT.1.1`): the log's field delimiter. */
function delimiterAfterBegin(buf: Buffer, from: number, end: number): number {
  for (let p = from + 1; p < end && p < from + 16; p++) {
    const c = buf[p]!;
    const valueChar = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e;
    if (!valueChar) return c;
  }
  return -1;
}

const FIX_PREFIX = /^\s*\[?(\d{8}-\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)/;
const ISO_PREFIX = /^\s*\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;

/** The engine's own log time from the text before `8=FIX`, if it starts with one. */
function prefixTimeUs(buf: Buffer, start: number, at: number, utcOffsetMinutes: number): number | undefined {
  if (at - start < 15) return undefined;
  const prefix = buf.toString('latin1', start, Math.min(at, start + 64));
  const fix = FIX_PREFIX.exec(prefix);
  if (fix) return parseTimestampUs(fix[1]!, 'fix');
  const iso = ISO_PREFIX.exec(prefix);
  return iso ? parseTimestampUs(iso[1]!, 'iso8601', utcOffsetMinutes) : undefined;
}

const NAMES: Record<string, string> = {
  '0': 'Heartbeat',
  '1': 'TestRequest',
  '2': 'ResendRequest',
  '3': 'Reject',
  '4': 'SequenceReset',
  '5': 'Logout',
  A: 'Logon',
  D: 'NewOrderSingle',
  F: 'OrderCancelRequest',
  G: 'OrderCancelReplaceRequest',
  '8': 'ExecutionReport',
  '9': 'OrderCancelReject',
  j: 'BusinessMessageReject',
  V: 'MarketDataRequest',
  W: 'MarketDataSnapshotFullRefresh',
  X: 'MarketDataIncrementalRefresh',
  Y: 'MarketDataRequestReject',
  R: 'QuoteRequest',
  S: 'Quote',
  AE: 'TradeCaptureReport',
  AD: 'TradeCaptureReportRequest',
};

/** The FIX 4.4 name of a MsgType, or the code itself. */
export function msgTypeName(code: string): string {
  return NAMES[code] ?? code;
}
