/**
 * The incident report the support manager reads (issue #5, item 5): cause, impact, duration and
 * the timeline, as markdown. Produced when the incident resolves; pure, so it is also rendered
 * on demand for an open incident.
 */
import type { AlertRef, Incident } from './incident.js';

export function incidentReport(inc: Incident, now?: number): string {
  const end = inc.resolvedAt ?? now ?? inc.openedAt;
  const lines: string[] = [];
  lines.push(`# ${md(inc.id)}: ${md(inc.title)}`, '');
  lines.push(`- Severity: ${inc.severity}`);
  lines.push(`- Status: ${inc.status}${inc.resolvedAt === undefined ? '' : ` at ${iso(inc.resolvedAt)}`}`);
  lines.push(`- Opened: ${iso(inc.openedAt)}`);
  lines.push(`- Duration: ${duration(end - inc.openedAt)}`);
  if (inc.ackedAt !== undefined)
    lines.push(`- Acknowledged: ${iso(inc.ackedAt)} by ${md(inc.ackedBy ?? '?')} (${duration(inc.ackedAt - inc.openedAt)} after opening)`);
  if (inc.silence) lines.push(`- Pages silenced by ${md(inc.silence.by)}: ${md(inc.silence.reason)}`);
  lines.push('', '## Root cause', '');
  for (const r of inc.roots) lines.push(`- ${ref(r)}`);
  lines.push('', '## Impact', '');
  lines.push(...impact(inc));
  lines.push('', `## Symptoms attached (${inc.symptoms.length})`, '');
  if (inc.symptoms.length === 0) lines.push('- none');
  for (const s of inc.symptoms) lines.push(`- ${ref(s)}`);
  lines.push('', '## Timeline', '');
  if (inc.timelineDropped > 0) lines.push(`- (${inc.timelineDropped} older entries not kept)`);
  for (const e of inc.timeline) lines.push(`- ${iso(e.at)} ${e.kind}${e.by ? ` (${md(e.by)})` : ''}: ${md(e.text)}`);
  return lines.join('\n') + '\n';
}

function impact(inc: Incident): string[] {
  const out: string[] = [];
  if (inc.impact.colour)
    out.push(`- Checkerboard colour ${md(inc.impact.colour)}: shared infrastructure (hub, power circuit); the other colour kept trading`);
  for (const p of inc.impact.pairs) {
    out.push(
      p.legsDown >= p.legs
        ? `- Pair ${md(p.pair)}: both legs down, no redundancy left (data may be stale downstream)`
        : `- Pair ${md(p.pair)}: ${p.legsDown} of ${p.legs} legs down, the other leg took over, nothing lost yet`,
    );
  }
  if (inc.impact.components.length > 0) out.push(`- Components: ${inc.impact.components.map(md).join(', ')}`);
  if (inc.impact.hosts.length > 0) out.push(`- Hosts: ${inc.impact.hosts.map(md).join(', ')}`);
  return out.length > 0 ? out : ['- none known'];
}

function ref(r: AlertRef): string {
  const end = r.resolvedAt === undefined ? 'still firing' : `resolved ${iso(r.resolvedAt)}`;
  return `${md(r.text)} [${md(r.alertname)}, ${r.severity}] fired ${iso(r.firedAt)}, ${end}${r.muted ? `, page muted (${md(r.muted)})` : ''}`;
}

/**
 * Text from outside (titles carry process names and log lines; notes and names come from people
 * and agents) as inert markdown: one line, and no character that would start a link, an image,
 * emphasis, code, a heading, a table or raw HTML in a viewer that renders the report (review S10).
 */
function md(s: string): string {
  return s.replace(/[\p{Cc}\s]+/gu, ' ').replace(/[\\`*_[\]<>!#|~]/g, (c) => `\\${c}`);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
