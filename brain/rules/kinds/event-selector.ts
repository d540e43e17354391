/** Which events a rule reacts to: a kind, matchers on the event's attributes, a minimum severity. */
import { matchesAll, pickLabels, type LabelMatcher, type Labels } from '../../../lib/labels.js';
import type { RuleEvent } from '../rule.js';

export interface EventSelector {
  readonly kind: string;
  /** On the event's attributes and tags, e.g. `state="down"` for `nic.link`, `rule="errors"` for `log.match`. */
  readonly when: readonly LabelMatcher[];
  /** 0–4; e.g. 2 keeps `process.exit` of a crash (MINOR) and drops a clean exit (INFO). */
  readonly minSeverity: number;
}

export function selects(sel: EventSelector, e: RuleEvent): boolean {
  return (
    e.kind === sel.kind && e.severity >= sel.minSeverity && (sel.when.length === 0 || matchesAll(sel.when, { ...e.labels, ...e.attrs }))
  );
}

/** The identity of an event's alert: the `by` labels, or all of them. */
export function eventLabels(e: RuleEvent, by: readonly string[] | undefined): Labels {
  return pickLabels(e.labels, by);
}
