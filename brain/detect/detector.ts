/**
 * The one interface every named detector implements. A detector looks at the latest samples
 * (the same RuleQuery the rules read) each time it is asked, keeps whatever history it needs
 * itself (bounded), and says per label set whether its finding holds now. Timing (`for`) and
 * alert state belong to the stage (brain/detect/index.ts), as they belong to the group for rules.
 */
import type { Labels } from '../../lib/labels.js';
import type { Observation, RuleQuery, Severity } from '../rules/rule.js';

/** One label set's finding at one look: an Observation plus what to report with the alert. */
export interface Finding extends Observation {
  /** The alert's text and numbers; called only when the alert changes (formatting every look costs). */
  describe(): Description;
}

export interface Description {
  /** Shown on the alert (summary) and as the incident's text. */
  readonly summary: string;
  /** Numbers worth reporting with the alert (period, peak...), as attrs. */
  readonly attrs: Labels;
}

export interface Detector {
  /** The alertname of its alerts (stable: drills and the correlator key on it). */
  readonly alertname: string;
  readonly severity: Severity;
  /** Active this long before it fires. */
  readonly forMs: number;
  /** Looks at the latest samples at `nowMs`; returns a finding per label set it watches. */
  observe(query: RuleQuery, nowMs: number): Finding[];
  /** Samples forgotten at a bound (history per series, series per detector). */
  readonly dropped: number;
}
