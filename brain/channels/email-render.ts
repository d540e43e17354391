/**
 * The mail for a notification: a subject that sorts well in an inbox
 * (`[SEV2][INC-42] FH A down — ldn-1 08:01Z`: severity, then incident, then the words), and a
 * text and an HTML body with the details, the timeline excerpt and the console links.
 */
import { abbreviate } from './abbreviations.js';
import { hhmmZone, isoMinute } from './wall-time.js';
import { severityLabel, type Notification } from './notification.js';

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const KIND_WORD: Record<Notification['kind'], string> = { page: '', resolve: 'RESOLVED ', status: 'UPDATE ', bod: 'BOD ', eod: 'EOD ' };
const MAX_SUBJECT = 200;

export function renderMail(n: Notification): RenderedMail {
  return { subject: subjectOf(n), text: textOf(n), html: htmlOf(n) };
}

export function subjectOf(n: Notification): string {
  const what = abbreviate(oneLine(n.what));
  const subject = `[${severityLabel(n.severity)}][${oneLine(n.incidentId)}] ${KIND_WORD[n.kind]}${what} — ${oneLine(n.where)} ${hhmmZone(n.when)}`;
  // Header lines stay bounded; the body carries everything.
  return subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 1)}…`;
}

function facts(n: Notification): [string, string][] {
  const local = n.recipient.timeZone ? ` (${hhmmZone(n.when, n.recipient.timeZone)} ${n.recipient.timeZone})` : '';
  const rows: [string, string][] = [
    ['Incident', n.incidentId],
    ['Severity', severityLabel(n.severity)],
    ['What', n.what],
    ['Where', n.where],
    ['Since', `${isoMinute(n.when)}${local}`],
    ['Trading phase', n.phase],
    [
      'Notice',
      n.kind === 'page' ? `page, escalation step ${n.escalationStep}` : n.kind === 'status' ? `status update ${n.escalationStep}` : n.kind,
    ],
  ];
  if (n.rootCause) rows.push(['Root cause', n.rootCause]);
  return rows;
}

function textOf(n: Notification): string {
  const lines = facts(n).map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`);
  if (n.details?.length) lines.push('', 'Details:', ...n.details.map((d) => `  ${d}`));
  lines.push('', 'Timeline:');
  for (const e of n.timeline) lines.push(`  ${isoMinute(e.at)}  ${e.text}`);
  if (n.timeline.length === 0) lines.push('  (no entries yet)');
  lines.push('', 'Links:');
  for (const l of n.links) lines.push(`  ${l.label}: ${l.url}`);
  lines.push('', `Sent to ${n.recipient.name} by floorwatch.`);
  return lines.join('\n') + '\n';
}

function htmlOf(n: Notification): string {
  const rows = facts(n)
    .map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const timeline = n.timeline.map((e) => `<li><code>${esc(isoMinute(e.at))}</code> ${esc(e.text)}</li>`).join('');
  const links = n.links.map((l) => `<li><a href="${esc(l.url)}">${esc(l.label)}</a></li>`).join('');
  return [
    '<!doctype html><html><body>',
    `<h2>${esc(subjectOf(n))}</h2>`,
    `<table>${rows}</table>`,
    n.details?.length ? `<h3>Details</h3><ul>${n.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '',
    `<h3>Timeline</h3><ol>${timeline || '<li>(no entries yet)</li>'}</ol>`,
    `<h3>Links</h3><ul>${links}</ul>`,
    `<p>Sent to ${esc(n.recipient.name)} by floorwatch.</p>`,
    '</body></html>',
  ].join('\n');
}

function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\s]+/gu, ' ').trim();
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
