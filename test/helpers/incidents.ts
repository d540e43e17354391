/**
 * Open incidents written as the journal a previous run of the brain left (brain/incidents/
 * journal.ts), for HTTP tests that act on incidents without staging a fault first.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

export function seedOpenIncidents(stateDir: string, ids: readonly string[], atMs = Date.now()): void {
  mkdirSync(stateDir, { recursive: true });
  const lines = ids.map((id) =>
    JSON.stringify({
      v: 1,
      incident: {
        id,
        status: 'open',
        severity: 'major',
        title: `test incident ${id}`,
        causeKeys: [`test:${id}`],
        // A root still firing: the correlator leaves the incident open (give correlation.restart_confirm_ms: 0).
        roots: [
          {
            key: `TestAlert{id="${id}"}`,
            alertname: 'TestAlert',
            labels: { id },
            text: `test alert ${id}`,
            state: 'firing',
            severity: 'major',
            firedAt: atMs,
          },
        ],
        symptoms: [],
        impact: { hosts: [], components: [], pairs: [] },
        openedAt: atMs,
        timeline: [{ at: atMs, kind: 'opened', text: 'opened' }],
        timelineDropped: 0,
      },
    }),
  );
  writeFileSync(`${stateDir}/incidents.jsonl`, lines.join('\n') + '\n');
}
