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
 *
 * An `info` alert (a disk write burst: something wrote a lot, which is news only beside a
 * problem) is context, never a page of its own (#19): it joins an incident about its host as a
 * symptom — one already open, or one that opens while it still fires — and otherwise opens
 * nothing. On a shared host other work's writes must not page the floor.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { EventLog, BrainEvent } from '../state/event-log.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import { pushTimeline, type AlertRef, type Incident } from '../incidents/incident.js';
import type { AnnouncedAgent, Topology } from '../topology/topology.js';
import { alertFromEvent, alertKey, exitDetail, type CorrelatorAlert } from './alert-input.js';
import { assess } from './assess.js';
import { COLOUR_ALERT, Placement, refIn, type Tracked } from './placement.js';
import { classify, colourFact, explains, legsOf, sameFixSession, sharesPair, type Fact } from './facts.js';

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
   * After the process exits rooting an incident about plant components resolve (a wrapper
   * restarted them), the components have this long to be heard again: the incident stays open for the
   * symptoms detected late (heartbeat loss after its missed-heartbeat budget and confirmation,
   * a pair down after its max age, a restarted component warming up on a busy host). A heartbeat
   * loss or pair down still firing when it ends is a new outage: it leaves as its own incident
   * (which pages). 0 = resolve at once. Default 10 s.
   */
  readonly lateMs?: number;
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
  /** Incidents whose roots resolved, waiting `lateMs` for their components to be heard again; and those whose wait ended. */
  readonly #late = new Map<string, Timer>();
  readonly #lateOver = new Set<string>();
  /** Alerts restored as firing from the journal and not fired again since the restart. */
  readonly #unconfirmed = new Set<string>();
  #confirmTimer: Timer | undefined;
  /** Symptoms explained by an active incident, held while the events' burst lasts (attachSymptoms). */
  #pending = new Map<string, { ref: AlertRef; fact: Fact }[]>();
  #events: EventLog | undefined;
  /** Firing `info` alerts no incident holds yet: context waiting for an incident on their host. */
  readonly #context = new Map<string, { ref: AlertRef; fact: Fact }>();
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
      lateMs: opts.lateMs ?? 10_000,
      restartConfirmMs: opts.restartConfirmMs ?? 120_000,
    };
    this.#p = new Placement({ store: opts.store, topology: opts.topology, clock: opts.clock, rootChanged: (id) => this.#cancelGrace(id) });
    this.#tracked = this.#p.tracked;
    for (const inc of this.#store.list({ status: 'active' })) {
      for (const r of inc.roots) this.#tracked.set(r.key, { incidentId: inc.id, role: 'root', fact: this.#p.factOf(r) });
      for (const s of inc.symptoms) this.#tracked.set(s.key, { incidentId: inc.id, role: 'symptom', fact: this.#p.factOf(s) });
      // A colour root is the correlator's own: it ends with its silent hosts, not by a source.
      for (const r of [...inc.roots, ...inc.symptoms])
        if (r.state === 'firing' && r.alertname !== COLOUR_ALERT) this.#unconfirmed.add(r.key);
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

  /** Subscribes to the EventLog (the alerts); returns the unsubscribe. */
  attach(events: EventLog): () => void {
    this.#events = events;
    const unsubscribe = events.subscribe((e) => this.onEvent(e));
    const unBurst = events.onBurstEnd(() => this.flush());
    return () => {
      this.flush();
      unsubscribe();
      unBurst();
      this.#events = undefined;
    };
  }

  /** Attaches the symptoms held during a burst of events (called when the burst ends). */
  flush(): void {
    if (this.#pending.size === 0) return;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [id, items] of pending) this.#p.attachSymptoms(id, items);
  }

  onEvent(e: BrainEvent): void {
    const a = alertFromEvent(e);
    if (a) this.onAlert(a);
  }

  onAlert(a: CorrelatorAlert): void {
    this.taken++;
    // Held symptoms go in before anything else moves (only more silent hosts may wait with them).
    if (a.state !== 'firing' || a.alertname !== 'AgentSilent') this.flush();
    const agent = a.labels['agent'] ? this.#agents?.get(a.labels['agent']) : undefined;
    if (agent) this.#topo.announce(agent);
    if (a.state === 'firing') this.#fire(a);
    else this.#resolve(a);
  }

  /** Stops the grace timers (the store stays open: the caller owns it). */
  stop(): void {
    this.flush();
    for (const t of [...this.#grace.values(), ...this.#late.values()]) t.cancel();
    this.#grace.clear();
    this.#late.clear();
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
    const fact = classify(a.alertname, a.labels, this.#topo, exitDetail(a.firedBy), a.summary);
    const ref: AlertRef = {
      key,
      alertname: a.alertname,
      labels: { ...a.labels },
      text: fact.text,
      state: 'firing',
      severity: a.severity,
      firedAt: a.atMs,
      ...(a.muted ? { muted: a.muted } : {}),
      ...(a.mutedBy ? { mutedBy: a.mutedBy } : {}),
    };

    if (ref.severity === 'info') return this.#fireContext(ref, fact);
    const cause = this.#explainer(fact);
    if (cause && this.#events?.inBurst && fact.kind === 'host-silent') {
      this.#tracked.set(key, { incidentId: cause, role: 'symptom', fact });
      const held = this.#pending.get(cause);
      if (held) held.push({ ref, fact });
      else this.#pending.set(cause, [{ ref, fact }]);
      return;
    }
    this.flush();
    if (cause) {
      this.#p.attach(cause, ref, fact, 'symptom');
      // A loss reported after its cause ended and after the components' time to come back: give it that time from now.
      if (isLoss(fact) && this.#lateOver.delete(cause)) this.#checkResolved(cause);
      return;
    }
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
    // A session logged out also misses heartbeats; a resend storm may end in a logout: one incident per session.
    const session = this.#active().find((inc) => this.#p.roots(inc.id).some((r) => sameFixSession(r, fact)));
    if (session) return this.#p.attach(session.id, ref, fact, 'symptom');
    if (fact.kind === 'host-silent' && fact.colour && this.#colourBurst(fact, ref)) return;
    const inc = this.#store.open({
      ...assess([fact], [], [ref.severity], this.#topo),
      causeKeys: [fact.causeKey],
      roots: [ref],
      symptoms: [],
    });
    this.#tracked.set(key, { incidentId: inc.id, role: 'root', fact });
    if (ref.muted) this.#store.addTimeline(inc.id, { kind: 'suppressed', text: `page held back: ${ref.muted}` });
    this.#attachContext(inc.id);
  }

  /** An `info` alert: a symptom of an active incident it belongs to, else held as context (no incident). */
  #fireContext(ref: AlertRef, fact: Fact): void {
    this.flush();
    const into = this.#explainer(fact) ?? (fact.host ? this.#active().find((inc) => inc.impact.hosts.includes(fact.host!))?.id : undefined);
    if (into) return this.#p.attach(into, ref, fact, 'symptom');
    this.#context.set(ref.key, { ref, fact });
  }

  /** Context alerts still firing on the hosts of a newly opened incident join it. */
  #attachContext(id: string): void {
    if (this.#context.size === 0) return;
    const hosts = this.#store.get(id)?.impact.hosts ?? [];
    for (const [key, { ref, fact }] of this.#context) {
      if (!fact.host || !hosts.includes(fact.host)) continue;
      this.#context.delete(key);
      this.#p.attach(id, ref, fact, 'symptom');
    }
  }

  #resolve(a: CorrelatorAlert): void {
    const key = alertKey(a);
    this.#unconfirmed.delete(key);
    if (this.#context.delete(key)) return;
    if (!this.#resolveKey(key, a.atMs, 'resolved')) this.ignored++;
  }

  #expireUnconfirmed(): void {
    const s = Math.round(this.#o.restartConfirmMs / 1000);
    for (const key of this.#unconfirmed) {
      this.#resolveKey(
        key,
        this.#clock.now(),
        `resolved: not firing again within ${s} s of the brain restart (it ended while the brain was down)`,
      );
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
      for (const r of this.#p.roots(inc.id))
        if (explains(r, f, this.#topo) && (!best || r.rank > best.rank)) best = { id: inc.id, rank: r.rank };
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
    const peers = [...this.#tracked.entries()].filter(
      ([, t]) => t.fact.kind === 'host-silent' && t.fact.colour === colour && t.role === 'root',
    );
    const recent = peers.filter(([key, t]) => (refIn(this.#store.get(t.incidentId), key)?.firedAt ?? 0) >= since);
    const count = recent.length + 1;
    const of = this.#topo.hostsOfColour(colour).length;
    if (count < 2 || (count < this.#o.colourMinHosts && count < Math.ceil(this.#o.colourMinFraction * of))) return false;
    const root = colourFact(colour, count, of);
    const rootRef: AlertRef = {
      key: root.causeKey,
      alertname: COLOUR_ALERT,
      labels: { alertname: COLOUR_ALERT, colour },
      text: root.text,
      state: 'firing',
      severity: ref.severity,
      firedAt: this.#clock.now(),
    };
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
    const waiting = this.#late.has(id) || this.#awaitLate(id);
    if (inc.symptoms.every((s) => s.state === 'resolved')) {
      if (!waiting) return this.#finish(id, 'root cause and every symptom resolved');
      // Nothing fires any more: the late window decides, not the grace of symptoms still firing.
      this.#grace.get(id)?.cancel();
      this.#grace.delete(id);
      return;
    }
    if (this.#grace.has(id)) return;
    this.#grace.set(
      id,
      this.#clock.setTimeout(() => {
        this.#splitLosses(id, this.#o.resolveGraceMs);
        this.#finish(id, `root cause resolved; symptoms still firing after ${this.#o.resolveGraceMs} ms grace`);
      }, this.#o.resolveGraceMs),
    );
  }

  /**
   * A process of a plant component restarted: the process is back before the component is heard
   * (it warms up), and its heartbeat loss and pair down are confirmed seconds after the exit. The
   * incident waits `lateMs` for them. True when it waits.
   */
  #awaitLate(id: string): boolean {
    if (
      this.#o.lateMs === 0 ||
      this.#lateOver.has(id) ||
      !this.#p.roots(id).some((f) => f.kind === 'process' && legsOf(f, this.#topo).length > 0)
    )
      return false;
    const timer = this.#clock.setTimeout(() => {
      this.#late.delete(id);
      this.#lateOver.add(id);
      this.#splitLosses(id, this.#o.lateMs);
      this.#checkResolved(id);
    }, this.#o.lateMs);
    this.#late.set(id, timer);
    return true;
  }

  /**
   * `lateMs` (or the grace) after its roots resolved, a heartbeat loss or pair down still firing is not that cause's
   * any more (its processes came back, the components did not): it leaves as an incident of its own.
   */
  #splitLosses(id: string, afterMs: number): void {
    const inc = this.#store.get(id);
    if (!inc || inc.status === 'resolved') return;
    const losses = inc.symptoms.filter(
      (s) => s.state === 'firing' && this.#tracked.get(s.key)?.incidentId === id && isLoss(this.#tracked.get(s.key)!.fact),
    );
    if (losses.length === 0) return;
    const facts = losses.map((s) => this.#tracked.get(s.key)!.fact);
    const keys = new Set(losses.map((s) => s.key));
    const s = Math.round(afterMs / 1000);
    const opened = this.#store.open({
      ...assess(
        facts,
        [],
        losses.map((r) => r.severity),
        this.#topo,
      ),
      causeKeys: facts.map((f) => f.causeKey),
      roots: losses.map((r) => ({ ...r })),
      symptoms: [],
    });
    this.#store.addTimeline(opened.id, {
      kind: 'root',
      text: `still down ${s} s after the cause of ${id} ended (${inc.title}): a new outage`,
    });
    this.#store.change(id, (i) => {
      i.symptoms = i.symptoms.filter((x) => !keys.has(x.key));
      pushTimeline(i, {
        at: this.#clock.now(),
        kind: 'symptom',
        text: `${losses.map((r) => r.text).join('; ')}: still firing ${s} s after this cause ended, moved to ${opened.id}`,
      });
    });
    facts.forEach((fact, n) => this.#tracked.set(losses[n]!.key, { incidentId: opened.id, role: 'root', fact }));
  }

  /**
   * An operator closes the incident (the API's resolve). Its alerts stop being tracked, so one
   * that fires again later opens a new incident instead of reviving a closed one.
   */
  resolveByHand(id: string, by: string, reason: string): Incident | undefined {
    this.flush();
    this.#finish(id, `by hand: ${reason}`, by);
    return this.#store.get(id);
  }

  #finish(id: string, why: string, by?: string): void {
    this.#cancelGrace(id);
    const inc = this.#store.resolve(id, why, by);
    for (const r of [...(inc?.roots ?? []), ...(inc?.symptoms ?? [])])
      if (this.#tracked.get(r.key)?.incidentId === id) this.#tracked.delete(r.key);
  }

  #cancelGrace(id: string): void {
    this.#grace.get(id)?.cancel();
    this.#grace.delete(id);
    this.#late.get(id)?.cancel();
    this.#late.delete(id);
    this.#lateOver.delete(id);
  }

  #active(): Incident[] {
    return this.#store.list({ status: 'active' });
  }
}

/** A component not heard (its heartbeats, or both legs of its pair): over only when the plant hears it again. */
function isLoss(f: Fact): boolean {
  return f.kind === 'heartbeat' || f.kind === 'pair-down';
}
