/** A drill's result as an operator reads it: what the brain concluded, and how long each step took. */
import type { DrillResult } from './drill.js';

export function formatResult(r: DrillResult): string {
  if (r.skipped) return `drill ${r.drill}: skipped: ${r.skipped}\n`;
  const out = [`drill ${r.drill}`];
  if (r.expected) out.push(`  expected     ${r.expected}`);
  const i = r.incident;
  if (i) {
    out.push(`  incident     ${i.id} [${i.severity}] ${i.title} (${i.status})`);
    for (const root of i.roots) out.push(`  root cause   ${root}`);
    for (const s of i.symptoms) out.push(`  symptom      ${s}`);
  } else if (r.expected) out.push('  incident     none');
  for (const p of r.pages)
    out.push(
      `  ${p.kind === 'page' ? 'page' : p.kind.padEnd(4)}         step ${p.step} to ${p.person} by ${p.channel} at ${new Date(p.at).toISOString().slice(11, 23)}Z`,
    );
  for (const p of r.pagerTexts ?? []) out.push(`  pager ${p.pagerIds.join(',').padEnd(7)}${p.message}`);
  const others = r.newIncidents.filter((n) => n.id !== i?.id);
  for (const n of others) out.push(`  also opened  ${n.id} ${n.title}`);
  out.push('  timeline (ms after the fault was injected)');
  let previous: number | undefined;
  for (const s of r.steps) {
    out.push(`    ${String(s.ms).padStart(7)} ms  ${previous === undefined ? '' : `(+${s.ms - previous})`.padEnd(10)} ${s.label}`);
    previous = s.ms;
  }
  out.push(r.problems.length ? r.problems.map((p) => `  PROBLEM      ${p}`).join('\n') : '  result       as expected; floor restored');
  return out.join('\n') + '\n';
}
