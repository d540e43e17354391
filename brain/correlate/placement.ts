/**
 * Where each alert of an active incident sits (root or symptom) and the moves the correlator
 * makes: attach a symptom or another root, re-root an incident under a late-arriving cause,
 * merge an incident into its cause's, and re-assess severity, impact and title afterwards.
 * Every move is one durable store change.
 */
import type { Clock } from '../../lib/clock.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import { pushTimeline, worse, type AlertRef, type Incident } from '../incidents/incident.js';
import type { Topology } from '../topology/topology.js';
import { assess } from './assess.js';
import { classify, colourFact, type Fact } from './facts.js';

export const COLOUR_ALERT = 'SharedInfrastructureSilent';

export interface Tracked {
  incidentId: string;
  role: 'root' | 'symptom';
  fact: Fact;
}

export class Placement {
  /** Alert key → where it sits, for alerts of active incidents. */
  readonly tracked = new Map<string, Tracked>();
  readonly #store: IncidentStore;
  readonly #topo: Topology;
  readonly #clock: Clock;
  readonly #rootChanged: (id: string) => void;

  constructor(o: { store: IncidentStore; topology: Topology; clock: Clock; rootChanged: (incidentId: string) => void }) {
    this.#store = o.store;
    this.#topo = o.topology;
    this.#clock = o.clock;
    this.#rootChanged = o.rootChanged;
  }

  attach(id: string, ref: AlertRef, fact: Fact, role: 'root' | 'symptom'): void {
    this.tracked.set(ref.key, { incidentId: id, role, fact });
    this.#store.change(id, (inc) => {
      (role === 'root' ? inc.roots : inc.symptoms).push(ref);
      if (role === 'root') inc.causeKeys.push(fact.causeKey);
      pushTimeline(inc, {
        at: this.#clock.now(),
        kind: role,
        text: role === 'root' ? `another cause: ${ref.text}` : `symptom attached: ${ref.text}`,
      });
      this.reassess(inc);
    });
    if (role === 'root') this.#rootChanged(id);
  }

  /**
   * Many symptoms of one incident in one change (an alert storm's silent hosts of a dark colour):
   * one journal snapshot, one re-assessment and one timeline entry instead of one per symptom.
   */
  attachSymptoms(id: string, items: readonly { ref: AlertRef; fact: Fact }[]): void {
    if (items.length === 1) return this.attach(id, items[0]!.ref, items[0]!.fact, 'symptom');
    for (const { ref, fact } of items) this.tracked.set(ref.key, { incidentId: id, role: 'symptom', fact });
    this.#store.change(id, (inc) => {
      for (const { ref } of items) inc.symptoms.push(ref);
      const named = items
        .slice(0, 3)
        .map((i) => i.ref.text)
        .join('; ');
      const more = items.length > 3 ? ` (and ${items.length - 3} more)` : '';
      pushTimeline(inc, { at: this.#clock.now(), kind: 'symptom', text: `${items.length} symptoms attached at once: ${named}${more}` });
      this.reassess(inc);
    });
  }

  /** `roots` become the incident's root; its old roots are demoted to symptoms (re-parented). */
  reroot(id: string, roots: AlertRef[], facts: Fact[], why: string): void {
    this.#store.change(id, (inc) => {
      for (const old of inc.roots) {
        inc.symptoms.unshift(old);
        const t = this.tracked.get(old.key);
        if (t) t.role = 'symptom';
      }
      inc.roots = roots;
      inc.causeKeys = facts.map((f) => f.causeKey);
      roots.forEach((r, i) => this.tracked.set(r.key, { incidentId: id, role: 'root', fact: facts[i]! }));
      pushTimeline(inc, {
        at: this.#clock.now(),
        kind: 'root',
        text: `root cause: ${roots.map((r) => r.text).join('; ')} (${why}); earlier alerts re-parented as symptoms`,
      });
      this.reassess(inc);
    });
    this.#rootChanged(id);
  }

  /** Incident `from` was a symptom of `into`: its alerts move, and it closes as merged. */
  merge(from: string, into: string): void {
    const j = this.#store.get(from);
    if (!j) return;
    const moved = [...j.roots, ...j.symptoms];
    for (const r of moved)
      this.tracked.set(r.key, { incidentId: into, role: 'symptom', fact: this.tracked.get(r.key)?.fact ?? this.factOf(r) });
    this.#store.change(into, (inc) => {
      inc.symptoms.push(...moved);
      if (j.ackedBy && !inc.ackedBy) Object.assign(inc, { status: 'acknowledged', ackedBy: j.ackedBy, ackedAt: j.ackedAt });
      pushTimeline(inc, { at: this.#clock.now(), kind: 'merged', text: `${from} (${j.title}) merged in as a symptom of this cause` });
      this.reassess(inc);
    });
    this.#store.change(
      from,
      (inc) => {
        const at = this.#clock.now();
        Object.assign(inc, { mergedInto: into, status: 'resolved', resolvedAt: at });
        pushTimeline(inc, { at, kind: 'merged', text: `merged into ${into}: its cause arrived late` });
      },
      'merged',
    );
    this.#rootChanged(from);
  }

  /** Severity (worst seen), impact and title from the incident's current roots and symptoms. */
  reassess(inc: Incident): void {
    const colourRoot = inc.roots.find((r) => r.alertname === COLOUR_ALERT);
    if (colourRoot) {
      const colour = colourRoot.labels['colour'] ?? '?';
      const fact = colourFact(
        colour,
        inc.symptoms.filter((s) => s.alertname === 'AgentSilent').length,
        this.#topo.hostsOfColour(colour).length,
      );
      colourRoot.text = fact.text;
      const t = this.tracked.get(colourRoot.key);
      if (t) t.fact = fact;
    }
    const facts = (refs: AlertRef[]) => refs.map((r) => this.tracked.get(r.key)?.fact ?? this.factOf(r));
    const a = assess(
      facts(inc.roots),
      facts(inc.symptoms),
      inc.roots.map((r) => r.severity),
      this.#topo,
    );
    const severity = worse(inc.severity, a.severity);
    if (severity !== inc.severity)
      pushTimeline(inc, { at: this.#clock.now(), kind: 'severity', text: `severity ${inc.severity} → ${severity}` });
    Object.assign(inc, { severity, impact: a.impact, title: a.title });
  }

  roots(id: string): Fact[] {
    return (this.#store.get(id)?.roots ?? []).map((r) => this.tracked.get(r.key)?.fact ?? this.factOf(r));
  }

  factOf(r: AlertRef): Fact {
    if (r.alertname === COLOUR_ALERT) return colourFact(r.labels['colour'] ?? '?', 0, 0);
    return { ...classify(r.alertname, r.labels, this.#topo), text: r.text };
  }
}

export function refIn(inc: Incident | undefined, key: string): AlertRef | undefined {
  return inc?.roots.find((r) => r.key === key) ?? inc?.symptoms.find((s) => s.key === key);
}
