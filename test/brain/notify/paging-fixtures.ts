/** Shared by the paging composition tests: the composition itself, an incident to open, and what the outbox enqueued. */
import { readFileSync } from 'node:fs';
import type { Calendar } from '../../../brain/calendar/calendar-file.js';
import { parseBrainConfig } from '../../../brain/config.js';
import { IncidentStore, type NewIncident } from '../../../brain/incidents/incident-store.js';
import { startPaging } from '../../../brain/notify/paging.js';
import type { EventLog } from '../../../brain/state/event-log.js';
import { FakeClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/log.js';
import type { MetricsRegistry } from '../../../lib/metrics.js';
import { writeYaml } from '../../helpers/floorwatch.js';
import { ALICE_ON_CALL } from '../../helpers/oncall.js';
import { waitFor } from '../../helpers/wait.js';

export interface PagingRig {
  readonly clock: FakeClock;
  readonly incidents: IncidentStore;
  /** Stops paging as a brain going down does; start() brings it back over the same state dir. */
  stop(): Promise<void>;
  start(): void;
}

/**
 * The paging composition on a fake clock over a real incident store in `dir`, torn down with the
 * test. `paging` is the rest of the `paging:` section (lines indented two spaces); the schedule
 * (alice on call unless `o.schedule` says otherwise) and `settle_ms: 0` come with it.
 */
export function startPagingRig(
  t: { teardown(fn: () => unknown): void },
  dir: string,
  paging: string,
  o: { clock?: FakeClock; schedule?: string; events?: EventLog; calendar?: Calendar; metrics?: MetricsRegistry } = {},
): PagingRig {
  const schedule = writeYaml(dir, 'oncall.yaml', o.schedule ?? ALICE_ON_CALL);
  const config = parseBrainConfig(`paging:\n  schedule: ${schedule}\n  settle_ms: 0\n${paging}`).paging!;
  const clock = o.clock ?? new FakeClock();
  const incidents = new IncidentStore({ file: `${dir}/incidents.jsonl`, clock });
  t.teardown(() => incidents.close());
  const start = () =>
    startPaging({ config, clock, log: silentLogger, incidents, stateDir: dir, events: o.events, calendar: o.calendar, metrics: o.metrics });
  let running = start();
  t.teardown(() => running.stop());
  return { clock, incidents, stop: () => running.stop(), start: () => void (running = start()) };
}

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

/**
 * Waits until every enqueued notification is recorded as sent or given up. A test stopping
 * paging before that may see one sent twice after the restart, by design: a mail the SMTP
 * server accepted while the brain was stopping it is still pending, and at-least-once resends it.
 */
export function outboxSettled(dir: string): Promise<true> {
  const settled = () => {
    const records = readFileSync(`${dir}/outbox.jsonl`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { t: string; k: string });
    const done = new Set(records.filter((r) => r.t !== 'enq').map((r) => r.k));
    return records.every((r) => r.t !== 'enq' || done.has(r.k)) ? (true as const) : undefined;
  };
  return waitFor('every notification recorded as sent', settled);
}
