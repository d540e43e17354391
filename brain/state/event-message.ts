/**
 * An event in one line, stored as its `message` field: the text a Grafana annotation shows
 * (docs/schema.md, "Events"). Fail-overs say who took over from whom; anything else says its
 * kind, where, and its summary or reason when it has one.
 */
import type { BrainEvent } from './event-log.js';

export function eventMessage(e: BrainEvent): string {
  const { tags, attrs } = e;
  if (e.kind === 'plant.role_change') {
    const pair = tags['pair'] ? ` in pair ${tags['pair']}` : '';
    return `${tags['component']}: ${attrs['from']} → ${attrs['to']}${pair}${attrs['to'] === 'primary' ? ' (fail-over)' : ''}`;
  }
  const summary = attrs['summary'] ?? attrs['message'] ?? attrs['error'] ?? attrs['reason'];
  const where = Object.entries(tags)
    .filter(([k]) => k !== 'rule')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const on = e.agentId && tags['agent'] === undefined ? `on ${e.agentId}` : '';
  return [e.kind, where, on, summary ? `: ${summary}` : ''].filter(Boolean).join(' ').replace(' :', ':');
}
