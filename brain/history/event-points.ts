/**
 * The brain's own events (plant fail-overs, agents gone silent, alerts, store outages...) as
 * points of measurement `events`, beside the agents' events (docs/schema.md, "Events"), with a
 * one-line `message` a Grafana annotation shows as its text (as the agents' events have).
 */
import type { BrainEvent } from '../state/event-log.js';
import { eventMessage } from '../state/event-message.js';
import { formatLine } from '../store/line-protocol.js';

/** A plant component's own `kind` tag (ticker_plant...) is kept as `component_kind`: `kind` is the event's. */
export function eventLine(e: BrainEvent, timeUs: number): string | undefined {
  const { kind: componentKind, ...tags } = e.tags;
  return formatLine(
    'events',
    { ...tags, ...(componentKind ? { component_kind: componentKind } : {}), kind: e.kind },
    { ...e.attrs, ...e.values, message: eventMessage(e), severity: e.severity },
    timeUs,
  );
}
