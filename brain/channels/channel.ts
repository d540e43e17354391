/**
 * Every delivery channel (SNPP pager, email, webhook) implements one interface and maps its
 * protocol's answers onto one result type, so the retry stage owns the policy in one place.
 */
import type { FloorwatchError } from '../../lib/errors.js';
import type { Notification } from '../notify/notification.js';

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
}

export function sent(detail: string): SendResult {
  return { status: 'sent', detail };
}

export function failed(reason: FailureReason, retryable: boolean, error: FloorwatchError): SendResult {
  return { status: 'failed', retryable, reason, error };
}
