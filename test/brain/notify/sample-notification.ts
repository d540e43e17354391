/** A realistic notification for tests, with every field overridable. */
import type { Notification, Recipient } from '../../../brain/channels/notification.js';

export const alice: Recipient = {
  id: 'alice',
  name: 'Alice Ng',
  pager: 'oncall-ldn',
  email: 'alice@floor.example',
  timeZone: 'Europe/London',
};

export function sampleNotification(over: Partial<Notification> = {}): Notification {
  return {
    incidentId: 'INC-42',
    severity: 2,
    what: 'feed handler A down, failover to secondary',
    where: 'ldn-1',
    when: Date.UTC(2026, 10, 23, 8, 1, 7),
    phase: 'intraday',
    escalationStep: 0,
    kind: 'page',
    recipient: alice,
    links: [{ label: 'console', url: 'http://console.floor.example/incidents/INC-42' }],
    timeline: [
      { at: Date.UTC(2026, 10, 23, 8, 1, 7), text: 'fh-a heartbeat lost (3 missed)' },
      { at: Date.UTC(2026, 10, 23, 8, 1, 8), text: 'fh-b took over as primary' },
    ],
    rootCause: 'fh-a process exited (signal KILL)',
    ...over,
  };
}
