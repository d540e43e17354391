/**
 * Every delivery channel (SNPP pager, email, webhook) implements one interface and maps its
 * protocol's answers onto one result type, so the retry stage owns the policy in one place.
 */
import { FloorwatchError, type ErrorCode } from '../../lib/errors.js';
import type { Notification } from './notification.js';

/** The metric label for a failure, as Alertmanager's ErrorWithReason. */
export type FailureReason = 'clientError' | 'serverError' | 'timeout' | 'unreachable';

export type SendResult =
  | { readonly status: 'sent'; readonly detail: string }
  | { readonly status: 'failed'; readonly retryable: boolean; readonly reason: FailureReason; readonly error: FloorwatchError };

export interface Channel {
  readonly name: string;
  /** Never throws: every failure comes back as a SendResult. */
  send(n: Notification, signal: AbortSignal): Promise<SendResult>;
  /** Releases pooled connections; optional for channels that hold none. */
  close?(): Promise<void>;
  /** This channel's own "keeps failing for this long, fall back" (default: the retry policy's). */
  readonly fallbackAfterMs?: number | undefined;
}

export function sent(detail: string): SendResult {
  return { status: 'sent', detail };
}

// Every channel fails in these five ways; each pairs one reason and retry policy with one error code.

/** The gateway refused this notification for good: the same one will not fare better. */
export const rejected = (message: string, cause?: unknown) => failed('clientError', false, 'FW_ERR_PAGING_REJECTED', message, cause);
/** The gateway failed, a retry may succeed. */
export const gatewayFailed = (message: string, cause?: unknown) => failed('serverError', true, 'FW_ERR_PAGING_GATEWAY', message, cause);
export const timedOut = (message: string, cause?: unknown) => failed('timeout', true, 'FW_ERR_PAGING_TIMEOUT', message, cause);
export const unreachable = (message: string, cause?: unknown) => failed('unreachable', true, 'FW_ERR_PAGING_UNREACHABLE', message, cause);
export const noAddress = (message: string) => failed('clientError', false, 'FW_ERR_PAGING_NO_ADDRESS', message);

function failed(reason: FailureReason, retryable: boolean, code: ErrorCode, message: string, cause?: unknown): SendResult {
  const error = new FloorwatchError(code, message, cause === undefined ? undefined : { cause });
  return { status: 'failed', retryable, reason, error };
}
