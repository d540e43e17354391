/**
 * Groups alerts that share a cause into one incident (issue #5, item 4). Fed with the rules
 * engine's `alert.firing` / `alert.resolved` events (subscribe to the EventLog with `attach`).
 * A symptom whose cause is active is attached to that cause's incident instead of raising its
 * own; a cause that arrives up to `settleMs` after its symptom still becomes the root (the
 * symptom's incident is re-rooted, so arrival order does not matter); two causes taking the
 * two legs of one pair are one critical incident; a burst of silent hosts of one checkerboard
 * colour is one shared-infrastructure incident. Incidents live in the IncidentStore (journal),
 * and the correlator rebuilds its index from it on start, so a re-fired alert of a still-open
 * cause after a brain restart joins its incident instead of opening a duplicate.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { EventLog, BrainEvent } from '../state/event-log.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import { pushTimeline, type AlertRef, type Incident } from '../incidents/incident.js';
import type { AnnouncedAgent, Topology } from '../topology/topology.js';
import { alertFromEvent, alertKey, type CorrelatorAlert } from './alert-input.js';
import { assess } from './assess.js';
import { COLOUR_ALERT, Placement, refIn, type Tracked } from './placement.js';
import { classify, colourFact, explains, sharesPair, type Fact } from './facts.js';
import { ExitDetails } from './exit-details.js';

export interface CorrelatorOptions {
  readonly clock: Clock;
  readonly topology: Topology;
  readonly store: IncidentStore;
  /** The AgentRegistry: an alert's agent is announced to the topology (host, colour) before it is classified. */
  readonly agents?: { get(id: string): AnnouncedAgent | undefined };
  /** A cause arriving this long after its symptom still becomes its root. Default 200 ms. */
  readonly settleMs?: number;
  /** Silent hosts of one colour within this window count as one burst. Default 5 s. */
  readonly colourWindowMs?: number;
  /** A burst is shared infrastructure from this many hosts... Default 5. */
  readonly colourMinHosts?: number;
  /** ...or this fraction of the colour's hosts (at least 2). Default 0.5. */
  readonly colourMinFraction?: number;
  /** After the root resolves, symptoms still firing (a fail-over's hold) may delay resolution this long. Default 60 s. */
  readonly resolveGraceMs?: number;
  /**
   * After a brain restart, an alert the journal holds as firing that no source fires again
   * within this long ended while the brain was down: it resolves. 0 = never. Default 120 s.
   */
  readonly restartConfirmMs?: number;
}

export { COLOUR_ALERT } from './placement.js';

export class Correlator {
  readonly #clock: Clock;
  readonly #topo: Topology;
  readonly #store: IncidentStore;
  readonly #o: Required<Omit<CorrelatorOptions, 'clock' | 'topology' | 'store' | 'agents'>>;
  readonly #agents: CorrelatorOptions['agents'];
  /** Alert key → where it sits, for alerts of active incidents. */
  readonly #p: Placement;
  readonly #tracked: Map<string, Tracked>;
  readonly #grace = new Map<string, Timer>();
  /** Alerts restored as firing from the journal and not fired again since the restart. */
  readonly #unconfirmed = new Set<string>();
  #confirmTimer: Timer | undefined;
  readonly #exits = new ExitDetails();
  /** Alerts taken and ignored (a resolve for an alert no active incident holds). */
  taken = 0;
  ignored = 0;

  constructor(opts: CorrelatorOptions) {
    this.#clock = opts.clock;
    this.#topo = opts.topology;
    this.#store = opts.store;
    this.#agents = opts.agents;
    this.#o = {
      settleMs: opts.settleMs ?? 200,
      colourWindowMs: opts.colourWindowMs ?? 5_000,
      colourMinHosts: opts.colourMinHosts ?? 5,
      colourMinFraction: opts.colourMinFraction ?? 0.5,
      resolveGraceMs: opts.resolveGraceMs ?? 60_000,
      restartConfirmMs: opts.restartConfirmMs ?? 120_000,
    };
    this.#p = new Placement({ store: opts.store, topology: opts.topology, clock: opts.clock, rootChanged: (id) => this.#cancelGrace(id) });
    this.#tracked = this.#p.tracked;
    for (const inc of this.#store.list({ status: 'active' })) {
      for (const r of inc.roots) this.#tracked.set(r.key, { incidentId: inc.id, role: 'root', fact: this.#p.factOf(r) });
      for (const s of inc.symptoms) this.#tracked.set(s.key, { incidentId: inc.id, role: 'symptom', fact: this.#p.factOf(s) });
      // A colour root is the correlator's own: it ends with its silent hosts, not by a source.
      for (const r of [...inc.roots, ...inc.symptoms]) if (r.state === 'firing' && r.alertname !== COLOUR_ALERT) this.#unconfirmed.add(r.key);
      this.#checkResolved(inc.id);
    }
    if (this.#unconfirmed.size > 0 && this.#o.restartConfirmMs > 0) {
      this.#confirmTimer = this.#clock.setTimeout(() => this.#expireUnconfirmed(), this.#o.restartConfirmMs);
    }
  }

  /** The alerts restored as firing from the journal, for the rules engine to take up again. */
  restoredFiring(): { alertname: string; labels: Record<string, string>; firedAt: number }[] {
    return [...this.#unconfirmed].flatMap((key) => {
      const ref = refIn(this.#store.get(this.#tracked.get(key)?.incidentId ?? ''), key);
      return ref ? [{ alertname: ref.alertname, labels: ref.labels, firedAt: ref.firedAt }] : [];
    });
  }

  /** Subscribes to the EventLog (alerts, and process exits for their signal); returns the unsubscribe. */
  attach(events: EventLog): () => void {
    return events.subscribe((e) => this.onEvent(e));
  }

  onEvent(e: BrainEvent): void {
    if (e.kind === 'process.exit') {
      const d = this.#exits.record(e);
      if (d) this.#fixExitText(d.agent, d.process, d.detail);
      return;
    }
    const a = alertFromEvent(e);
    if (a) this.onAlert(a);
  }

  onAlert(a: CorrelatorAlert): void {
    this.taken++;
    const agent = a.labels['agent'] ? this.#agents?.get(a.labels['agent']) : undefined;
    if (agent) this.#topo.announce(agent);
    if (a.state === 'firing') this.#fire(a);
    else this.#resolve(a);
  }

  /** Stops the grace timers (the store stays open: the caller owns it). */
  stop(): void {
    for (const t of this.#grace.values()) t.cancel();
    this.#grace.clear();
    this.#confirmTimer?.cancel();
  }

  #fire(a: CorrelatorAlert): void {
    const key = alertKey(a);
    this.#unconfirmed.delete(key);
    const known = this.#tracked.get(key);
    if (known) {
      // The same cause again (a re-fire, or the rules engine re-firing after a brain restart).
      const ref = refIn(this.#store.get(known.incidentId), key);
      if (ref?.state === 'resolved') {
        this.#store.change(known.incidentId, (inc) => {
          ref.state = 'firing';
          delete ref.resolvedAt;
          pushTimeline(inc, { at: this.#clock.now(), kind: 'alert', text: `${ref.text}: firing again` });
        });
      }
      if (known.role === 'root') this.#cancelGrace(known.incidentId);
      return;
    }
    const detail = a.alertname.startsWith('Process') ? this.#exits.get(a.labels['agent'] ?? '', a.labels['process'] ?? '') : undefined;
    const fact = classify(a.alertname, a.labels, this.#topo, detail, a.summary);
    const ref: AlertRef = { key, alertname: a.alertname, labels: { ...a.labels }, text: fact.text, state: 'firing', severity: a.severity, firedAt: a.atMs, ...(a.muted ? { muted: a.muted } : {}) };

    const cause = this.#explainer(fact);
    if (cause) return this.#p.attach(cause, ref, fact, 'symptom');
    // A cause that arrives after its symptoms (within the settle window) takes over their incident.
    const recent = this.#recentExplainedBy(fact);
    const first = recent[0];
    if (first) {
      this.#p.reroot(first.id, [ref], [fact], `arrived ${a.atMs - first.openedAt} ms after its symptom`);
      return this.#absorbRecent(first.id, fact);
    }
    // The other leg of a pair that already lost one: the same incident, now without redundancy.
    const co = this.#active().find((inc) => this.#p.roots(inc.id).some((r) => sharesPair(r, fact, this.#topo)));
    if (co) {
      this.#p.attach(co.id, ref, fact, 'root');
      return this.#absorbRecent(co.id, fact);
    }
    if (fact.kind === 'host-silent' && fact.colour && this.#colourBurst(fact, ref)) return;
    const inc = this.#store.open({ ...assess([fact], [], [ref.severity], this.#topo), causeKeys: [fact.causeKey], roots: [ref], symptoms: [] });
    this.#tracked.set(key, { incidentId: inc.id, role: 'root', fact });
    if (ref.muted) this.#store.addTimeline(inc.id, { kind: 'suppressed', text: `page held back: ${ref.muted}` });
  }

  #resolve(a: CorrelatorAlert): void {
    const key = alertKey(a);
    this.#unconfirmed.delete(key);
    if (!this.#resolveKey(key, a.atMs, 'resolved')) this.ignored++;
  }

  #expireUnconfirmed(): void {
    const s = Math.round(this.#o.restartConfirmMs / 1000);
    for (const key of this.#unconfirmed) {
      this.#resolveKey(key, this.#clock.now(), `resolved: not firing again within ${s} s of the brain restart (it ended while the brain was down)`);
    }
    this.#unconfirmed.clear();
  }

  /** False when no active incident holds the alert. */
  #resolveKey(key: string, atMs: number, how: string): boolean {
    const t = this.#tracked.get(key);
    if (!t) return false;
    this.#store.change(t.incidentId, (inc) => {
      const ref = refIn(inc, key);
      if (!ref || ref.state === 'resolved') return;
      ref.state = 'resolved';
      ref.resolvedAt = atMs;
      pushTimeline(inc, { at: this.#clock.now(), kind: 'alert', text: `${ref.text}: ${how}` });
      // A colour's shared-infrastructure root is over when none of its hosts is silent any more.
      const colourRoot = inc.roots.find((r) => r.alertname === COLOUR_ALERT && r.state === 'firing');
      if (colourRoot && !inc.symptoms.some((s) => s.alertname === 'AgentSilent' && s.state === 'firing')) {
        colourRoot.state = 'resolved';
        colourRoot.resolvedAt = atMs;
      }
    });
    this.#checkResolved(t.incidentId);
    return true;
  }

  /** The active incident with the highest-ranked root that explains `f`. */
  #explainer(f: Fact): string | undefined {
    let best: { id: string; rank: number } | undefined;
    for (const inc of this.#active()) {
      for (const r of this.#p.roots(inc.id)) if (explains(r, f, this.#topo) && (!best || r.rank > best.rank)) best = { id: inc.id, rank: r.rank };
    }
    return best?.id;
  }

  /** Incidents opened within the settle window whose every root `f` explains: `f` arrived late. */
  #recentExplainedBy(f: Fact, windowMs = this.#o.settleMs): Incident[] {
    const since = this.#clock.now() - windowMs;
    return this.#active()
      .filter((inc) => inc.openedAt >= since && inc.roots.length > 0)
      .filter((inc) => this.#p.roots(inc.id).every((r) => explains(f, r, this.#topo)))
      .sort((x, y) => x.openedAt - y.openedAt || x.id.localeCompare(y.id));
  }

  /** After `f` became a root of `into`, incidents of its recent symptoms merge into it. */
  #absorbRecent(into: string, f: Fact): void {
    for (const j of this.#recentExplainedBy(f)) if (j.id !== into) this.#p.merge(j.id, into);
  }

  /** Many hosts of one colour silent at once: one shared-infrastructure incident naming the colour. */
  #colourBurst(f: Fact, ref: AlertRef): boolean {
    const colour = f.colour!;
    const since = this.#clock.now() - this.#o.colourWindowMs;
    const peers = [...this.#tracked.entries()].filter(([, t]) => t.fact.kind === 'host-silent' && t.fact.colour === colour && t.role === 'root');
    const recent = peers.filter(([key, t]) => (refIn(this.#store.get(t.incidentId), key)?.firedAt ?? 0) >= since);
    const count = recent.length + 1;
    const of = this.#topo.hostsOfColour(colour).length;
    if (count < 2 || (count < this.#o.colourMinHosts && count < Math.ceil(this.#o.colourMinFraction * of))) return false;
    const root = colourFact(colour, count, of);
    const rootRef: AlertRef = { key: root.causeKey, alertname: COLOUR_ALERT, labels: { alertname: COLOUR_ALERT, colour }, text: root.text, state: 'firing', severity: ref.severity, firedAt: this.#clock.now() };
    const ids = [...new Set(recent.map(([, t]) => t.incidentId))].sort();
    const host = ids[0];
    if (!host) return false;
    this.#p.reroot(host, [rootRef], [root], `${count} ${colour} hosts silent within ${this.#o.colourWindowMs} ms`);
    for (const id of ids.slice(1)) this.#p.merge(id, host);
    this.#p.attach(host, ref, f, 'symptom');
    return true;
  }

  #checkResolved(id: string): void {
    const inc = this.#store.get(id);
    if (!inc || inc.status === 'resolved' || inc.roots.some((r) => r.state === 'firing')) return;
    if (inc.symptoms.every((s) => s.state === 'resolved')) return this.#finish(id, 'root cause and every symptom resolved');
    if (this.#grace.has(id)) return;
    this.#grace.set(id, this.#clock.setTimeout(() => this.#finish(id, `root cause resolved; symptoms still firing after ${this.#o.resolveGraceMs} ms grace`), this.#o.resolveGraceMs));
  }

  #finish(id: string, why: string): void {
    this.#cancelGrace(id);
    const inc = this.#store.resolve(id, why);
    for (const r of [...(inc?.roots ?? []), ...(inc?.symptoms ?? [])]) if (this.#tracked.get(r.key)?.incidentId === id) this.#tracked.delete(r.key);
  }

  #cancelGrace(id: string): void {
    this.#grace.get(id)?.cancel();
    this.#grace.delete(id);
  }

  /** The exit event came after its alert (subscription order): add the signal to the root text. */
  #fixExitText(agent: string, process: string, detail: string): void {
    for (const [key, t] of this.#tracked) {
      const ref = t.fact.kind === 'process' ? refIn(this.#store.get(t.incidentId), key) : undefined;
      if (!ref || ref.labels['agent'] !== agent || ref.labels['process'] !== process || ref.text.endsWith(')')) continue;
      this.#store.change(t.incidentId, (inc) => {
        ref.text = `${ref.text} (${detail})`;
        t.fact = { ...t.fact, text: ref.text };
        this.#p.reassess(inc);
      });
    }
  }

  #active(): Incident[] {
    return this.#store.list({ status: 'active' });
  }


}
