/**
 * Recorded sample streams fed to the brain's real SeriesTable the way ingest updates it (the
 * latest value per series), one brain look per step on a FakeClock.
 */
import { FakeClock } from '../../../lib/clock.js';
import { SeriesTable } from '../../../brain/state/series-table.js';
import { TableQuery } from '../../../brain/rules/query.js';
import { EventLog, type BrainEvent } from '../../../brain/state/event-log.js';
import { DetectorStage } from '../../../brain/detect/index.js';
import type { Detector } from '../../../brain/detect/detector.js';

/** One sample of a recording: ms after its start, the series and the value. */
export interface Sample {
  readonly at: number;
  readonly measurement: string;
  readonly field: string;
  readonly tags?: Record<string, string>;
  readonly value: number;
}

export class Feed {
  readonly clock: FakeClock;
  readonly table = new SeriesTable(10_000);
  readonly query = new TableQuery(this.table);
  readonly events: EventLog;
  readonly stage: DetectorStage;
  readonly start: number;

  constructor(detectors: Detector[], opts: { clock?: FakeClock; events?: EventLog; checkEveryMs?: number } = {}) {
    this.clock = opts.clock ?? new FakeClock();
    this.events = opts.events ?? new EventLog({ clock: this.clock });
    this.start = this.clock.now();
    this.stage = new DetectorStage({
      clock: this.clock,
      query: this.query,
      events: this.events,
      detectors,
      checkEveryMs: opts.checkEveryMs ?? 250,
    });
    this.stage.start();
  }

  /** Plays `samples` (sorted by `at`) for `agent`: time advances to each sample, the stage looks on its own schedule. */
  play(agent: string, samples: readonly Sample[], host = agent): void {
    for (const s of samples) {
      const due = this.start + s.at - this.clock.now();
      if (due > 0) this.clock.advance(due);
      const series = this.table.intern(
        agent,
        { agent, host },
        { measurement: s.measurement, field: s.field, tags: s.tags ?? {}, kind: 0 },
      )!;
      series.last = s.value;
      series.lastUs = (this.start + s.at) * 1000;
    }
  }

  /** Time passes with no new samples. */
  idle(ms: number): void {
    this.clock.advance(ms);
  }

  alerts(alertname?: string): BrainEvent[] {
    return this.events
      .recent({ limit: 10_000 })
      .filter((e) => e.kind.startsWith('alert.') && (!alertname || e.tags['alertname'] === alertname));
  }
}
