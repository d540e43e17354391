/**
 * One bad line (or one field type conflict) makes InfluxDB 1.x answer 400 for a whole batch. This
 * finds the refused lines by bisection so every good line is stored and every bad one goes to the
 * dead-letter file with the server's reason, counted. Cost: 2·log2(n)+1 writes for one bad line
 * among n, never more than 2n−1. Rewriting already stored lines is harmless: a point with the same
 * series and timestamp overwrites itself.
 */
import type { Sink, WriteResult } from './sink.js';
import { rejectsLines } from './write-result.js';

export interface DeadLetterEntry {
  sink: string;
  line: string;
  reason: string;
  status?: number;
}

export interface DeadLetter {
  record(entries: readonly DeadLetterEntry[]): Promise<void>;
}

export interface IsolationResult {
  /** Lines the store accepted. */
  written: number;
  /** Lines the store refused, now in the dead-letter file. */
  rejected: number;
  /**
   * Lines neither stored nor refused because the store stopped answering usefully (unreachable,
   * 5xx, wrong endpoint...): replay them later, in this order.
   */
  pending: string[];
  /** Why lines are pending. */
  failure?: Extract<WriteResult, { ok: false }>;
  /** Write requests made. */
  requests: number;
}

export interface IsolationOptions {
  /** The answer to writing all of `lines` already received, so the whole batch is not sent again. */
  firstResult?: WriteResult;
}

export async function writeIsolatingBadLines(
  sink: Sink,
  lines: readonly string[],
  deadLetter: DeadLetter,
  opts: IsolationOptions = {},
): Promise<IsolationResult> {
  const outcome: IsolationResult = { written: 0, rejected: 0, pending: [], requests: 0 };
  const refused: DeadLetterEntry[] = [];
  // Ranges [from, to) of `lines`, right halves pushed first so lines are resolved in order.
  const todo: [number, number][] = lines.length > 0 ? [[0, lines.length]] : [];
  let known = opts.firstResult;
  while (todo.length > 0) {
    const [from, to] = todo.pop()!;
    if (outcome.failure) {
      outcome.pending.push(...lines.slice(from, to));
      continue;
    }
    const result = known ?? (await writeRange(sink, lines, from, to, outcome));
    known = undefined;
    if (result.ok) {
      outcome.written += to - from;
    } else if (!rejectsLines(result)) {
      outcome.failure = result;
      outcome.pending.push(...lines.slice(from, to));
    } else if (to - from === 1) {
      refused.push(entryFor(sink, lines[from]!, result));
    } else {
      const middle = from + Math.ceil((to - from) / 2);
      todo.push([middle, to], [from, middle]);
    }
  }
  if (refused.length > 0) await deadLetter.record(refused);
  outcome.rejected = refused.length;
  return outcome;
}

function writeRange(sink: Sink, lines: readonly string[], from: number, to: number, outcome: IsolationResult) {
  outcome.requests++;
  return sink.write(lines.slice(from, to).join('\n'), to - from);
}

function entryFor(sink: Sink, line: string, result: Extract<WriteResult, { ok: false }>): DeadLetterEntry {
  return {
    sink: sink.name,
    line,
    reason: result.error,
    ...(result.status !== undefined ? { status: result.status } : {}),
  };
}
