/**
 * Every paging attempt and its outcome as a point of measurement `pages` (docs/schema.md):
 * tags channel, outcome, kind and step, so "pages by channel and outcome" is one GROUP BY.
 */
import type { Notification } from '../channels/notification.js';
import type { DeliveryEntry } from '../notify/retry.js';
import { formatLine } from '../store/line-protocol.js';

export function pageLine(e: DeliveryEntry, n: Notification, timeUs: number): string | undefined {
  const tags = { kind: n.kind, step: String(n.escalationStep) };
  const common = { incident: e.incidentId, recipient: n.recipient.id };
  switch (e.type) {
    case 'attempt':
      return formatLine(
        'pages',
        { ...tags, channel: e.channel, outcome: e.outcome },
        { ...common, attempt: e.attempt, detail: e.detail, ...(e.reason ? { reason: e.reason } : {}) },
        timeUs,
      );
    case 'fallback':
      return formatLine('pages', { ...tags, channel: e.from, outcome: 'fallback' }, { ...common, detail: `to ${e.to}: ${e.why}` }, timeUs);
    case 'delivered':
      return formatLine('pages', { ...tags, channel: e.channel, outcome: 'delivered' }, { ...common, delivered: 1 }, timeUs);
    case 'abandoned':
      return formatLine('pages', { ...tags, channel: 'none', outcome: 'abandoned' }, { ...common, detail: e.why }, timeUs);
  }
}
