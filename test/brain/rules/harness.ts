// A rules engine on a fake clock over a real SeriesTable and EventLog, with its rule files
// written to a scratch directory: what the brain gives it, minus the network.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import type { LoadedCalendar } from '../../../brain/calendar/load.js';
import type { AlertChange } from '../../../brain/rules/group.js';
import { RuleManager } from '../../../brain/rules/manager.js';
import type { StallHistory } from '../../../brain/rules/query.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { SeriesTable, type BrainSeries } from '../../../brain/state/series-table.js';

export interface Harness {
  clock: FakeClock;
  series: SeriesTable;
  events: EventLog;
  manager: RuleManager;
  changes: AlertChange[];
  dir: string;
  /** Sets a series' value, sampled now. */
  set(measurement: string, field: string, tags: Record<string, string>, value: number): BrainSeries;
  /** Publishes an agent event now. */
  event(kind: string, tags: Record<string, string>, attrs?: Record<string, string>, severity?: number): void;
  firing(alertname?: string): string[];
}

export function harness(
  files: Record<string, string>,
  opts: { start?: number; calendar?: LoadedCalendar; schedule?: boolean; stalls?: StallHistory } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'fw-rules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const clock = new FakeClock(opts.start ?? Date.UTC(2026, 10, 23, 9, 0, 0));
  const series = new SeriesTable(10_000);
  const events = new EventLog({ clock });
  const changes: AlertChange[] = [];
  const manager = new RuleManager({
    dir,
    clock,
    series,
    events,
    ...(opts.stalls ? { stalls: opts.stalls } : {}),
    ...(opts.calendar ? { calendar: opts.calendar.calendar, muters: opts.calendar.muters } : {}),
    onAlert: (c) => changes.push(c),
    watch: false,
    schedule: opts.schedule ?? true,
  });
  manager.start();
  return {
    clock,
    series,
    events,
    manager,
    changes,
    dir,
    set(measurement, field, tags, value) {
      const s = series.intern(tags['agent'] ?? 'a1', {}, { measurement, field, tags, kind: 0 })!;
      s.last = value;
      s.lastUs = clock.nowUs();
      return s;
    },
    event(kind, tags, attrs = {}, severity = 3) {
      events.publish({ timeUs: clock.nowUs(), kind, source: 'agent', agentId: tags['agent'] ?? '', tags, attrs, values: {}, severity });
    },
    firing(alertname) {
      return [...manager.alerts()]
        .filter((a) => a.alert.state === 'firing' && (alertname === undefined || a.rule.name === alertname))
        .map((a) =>
          Object.entries(a.alert.labels)
            .filter(([k]) => k !== 'alertname')
            .map(([k, v]) => `${k}=${v}`)
            .sort()
            .join(','),
        )
        .sort();
    },
  };
}
