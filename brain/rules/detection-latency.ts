/**
 * floorwatch_detection_latency_seconds: from the firing event's own time where it happened (the
 * process exit on the agent, the role change in the plant) to the alert firing at the brain —
 * transport, ingest and the rules engine together. Observed for alerts an event fired
 * (state-change rules); a threshold or absence alert has no one event to count from. Clocks on
 * different hosts disagree a little: a negative difference counts as 0.
 */
import type { MetricsRegistry } from '../../lib/metrics.js';
import type { AlertChange } from './group.js';

export const DETECTION_LATENCY = {
  name: 'floorwatch_detection_latency_seconds',
  help: "From the firing event's own time on the agent or in the plant to its alert firing at the brain (state-change alerts), by alertname.",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
} as const;

/** Returns the observer the rules engine calls with every alert change. */
export function detectionLatency(metrics: MetricsRegistry): (change: AlertChange) => void {
  const h = metrics.histogram(DETECTION_LATENCY.name, DETECTION_LATENCY.help, DETECTION_LATENCY.buckets, ['alertname']);
  return (change) => {
    const at = change.firedBy?.eventTimeUs;
    if (change.state !== 'firing' || at === undefined) return;
    h.observe(Math.max(0, change.atMs * 1000 - at) / 1e6, { alertname: change.labels['alertname'] ?? change.rule });
  };
}
