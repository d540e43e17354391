/** Shared by the paging composition tests: an incident to open, and what the outbox enqueued. */
import { readFileSync } from 'node:fs';
import type { NewIncident } from '../../../brain/incidents/incident-store.js';

export function newIncident(severity: NewIncident['severity'], title: string, host = 'fh-host-a'): NewIncident {
  return {
    severity,
    title,
    causeKeys: [`process:${host}/x`],
    roots: [{ key: title, alertname: 'ProcessExited', labels: { host }, text: title, state: 'firing', severity, firedAt: 0 }],
    symptoms: [],
    impact: { hosts: [host], components: [], pairs: [] },
  };
}

/** Enqueueing is synchronous inside clock.advance(): the outbox file tells at once whether anything was sent. */
export function enqueuedKeys(dir: string): string[] {
  return readFileSync(`${dir}/outbox.jsonl`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { t: string; k: string })
    .filter((r) => r.t === 'enq')
    .map((r) => r.k);
}
