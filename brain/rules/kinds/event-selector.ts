/** Which events a rule reacts to: a kind, matchers on the event's attributes, a minimum severity. */
import { matchesAll, pickLabels, type LabelMatcher, type Labels } from '../labels.js';
import type { RuleEvent } from '../rule.js';

export interface EventSelector {
  readonly kind: string;
  /** On the event's text attributes, e.g. `state="down"` for `nic.link`. */
  readonly when: readonly LabelMatcher[];
  /** 0–4; e.g. 2 keeps `process.exit` of a crash (MINOR) and drops a clean exit (INFO). */
  readonly minSeverity: number;
}

export function selects(sel: EventSelector, e: RuleEvent): boolean {
  return e.kind === sel.kind && e.severity >= sel.minSeverity && matchesAll(sel.when, e.attrs);
}

/** The identity of an event's alert: the `by` labels, or all of them. */
export function eventLabels(e: RuleEvent, by: readonly string[] | undefined): Labels {
  return pickLabels(e.labels, by);
}
