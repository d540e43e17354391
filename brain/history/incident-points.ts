/**
 * An incident as annotation-ready points (measurement `incidents`, docs/schema.md): one point
 * when it opened, one when it was acknowledged, one when it resolved, each at its own instant.
 * The points are a pure function of the incident, so writing them again (every change, every
 * start) stores the same points once: a write lost in a brain crash is made good at the next
 * start, and nothing is counted twice.
 */
import type { Incident } from '../incidents/incident.js';
import { formatLine } from '../store/line-protocol.js';

const SEVERITY_LEVEL: Record<Incident['severity'], number> = { info: 0, warning: 1, minor: 2, major: 3, critical: 4 };

/**
 * µs of an instant in ms, plus the incident's number modulo 1000: two incidents opened in the
 * same millisecond with the same severity must not overwrite each other's point.
 */
function pointUs(ms: number, inc: Incident): number {
  const n = Number(inc.id.replace(/^\D+/, '')) || 0;
  return ms * 1000 + (n % 1000);
}

function rootCause(inc: Incident): string {
  return inc.roots.map((r) => r.text).join('; ') || inc.title;
}

export function incidentLines(inc: Incident): string[] {
  const tags = (change: string) => ({ change, severity: inc.severity });
  const common = { id: inc.id, title: inc.title, root_cause: rootCause(inc), severity_level: SEVERITY_LEVEL[inc.severity] };
  const lines = [
    formatLine(
      'incidents',
      tags('opened'),
      { ...common, text: `${inc.id} opened: ${inc.title}`, symptoms: inc.symptoms.length, hosts: inc.impact.hosts.join(',') },
      pointUs(inc.openedAt, inc),
    ),
  ];
  if (inc.ackedAt !== undefined) {
    const ackS = (inc.ackedAt - inc.openedAt) / 1000;
    const by = inc.ackedBy ?? '';
    lines.push(
      formatLine(
        'incidents',
        tags('acknowledged'),
        { ...common, text: `${inc.id} acknowledged by ${by} after ${ackS.toFixed(1)} s`, by, ack_s: ackS },
        pointUs(inc.ackedAt, inc),
      ),
    );
  }
  if (inc.resolvedAt !== undefined) {
    const openS = (inc.resolvedAt - inc.openedAt) / 1000;
    const merged = inc.mergedInto ? ` (merged into ${inc.mergedInto})` : '';
    lines.push(
      formatLine(
        'incidents',
        tags('resolved'),
        { ...common, text: `${inc.id} resolved after ${openS.toFixed(1)} s${merged}: ${inc.title}`, open_s: openS },
        pointUs(inc.resolvedAt, inc),
      ),
    );
  }
  return lines.filter((l): l is string => l !== undefined);
}
