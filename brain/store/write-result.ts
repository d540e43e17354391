/**
 * How a time-series store's HTTP answer to a write becomes a WriteResult. Shared by the 1.x and
 * 2.x sinks so both treat the same failure the same way.
 *
 * retryable: a later attempt with the same body may succeed (unreachable, timeout, 5xx, 429, 408,
 * credentials or database/retention policy missing: configuration, not the lines' fault, so the
 * data stays in the spool). Permanent: the server rejected the lines themselves (400, 413, 422) or
 * the endpoint does not exist (404: wrong API); `bad-lines.ts` bisects 400/413/422 batches.
 */
import type { WriteResult } from './sink.js';

export const MAX_ERROR_TEXT = 2048;

const NOT_THE_LINES_FAULT = /database not found|retention policy not found|database is required|bucket .*not found/i;

export function resultFromStatus(status: number, bodyText: string, endpoint: string): WriteResult {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = serverReason(bodyText) || `HTTP ${status}`;
  if (status >= 500 || status === 429 || status === 408) return failure(true, status, reason);
  if (status === 401 || status === 403) return failure(true, status, `not authorised at ${endpoint}: ${reason}`);
  if (NOT_THE_LINES_FAULT.test(reason)) return failure(true, status, reason);
  if (status === 404) {
    return failure(false, status, `${endpoint} does not exist on this server (wrong API or version?): ${reason}`);
  }
  return failure(false, status, reason);
}

export function resultFromNetworkError(err: unknown, endpoint: string): WriteResult {
  const e = err as { code?: string; message?: string };
  const what = [e.code, e.message].filter(Boolean).join(' ') || String(err);
  return failure(true, undefined, `${endpoint} unreachable: ${what}`);
}

/** Statuses at which a batch is split to find the lines the server refused. */
export function rejectsLines(result: WriteResult): boolean {
  return !result.ok && !result.retryable && (result.status === 400 || result.status === 413 || result.status === 422);
}

/** InfluxDB 1.x answers `{"error": "..."}`, 2.x `{"code": ..., "message": "..."}`, others text. */
export function serverReason(bodyText: string): string {
  const text = bodyText.trim();
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as { error?: unknown; message?: unknown };
      const reason = json.error ?? json.message;
      if (typeof reason === 'string') return truncate(reason);
    } catch {
      // Not JSON after all: report the text as it is.
    }
  }
  return truncate(text);
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_TEXT ? text.slice(0, MAX_ERROR_TEXT) + '…' : text;
}

function failure(retryable: boolean, status: number | undefined, error: string): WriteResult {
  return status === undefined ? { ok: false, retryable, error } : { ok: false, retryable, status, error };
}
