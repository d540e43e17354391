/**
 * What a silence or a takeover in the plant means, before it becomes an event the rules page
 * on. "A component alive but briefly descheduled is not a lost heartbeat for paging" (#19):
 *
 * - A heartbeat silence (the listener's `lost`, after its missed-heartbeat budget) is only a
 *   suspicion for `confirmMs`. A component whose heartbeats come back within it was stalled
 *   (descheduled on a busy host, or busy itself — its heartbeat reports its own event-loop
 *   stall, `counters.loop_stall_ms`): `plant.stalled`, info, no alert. Still silent after it:
 *   `plant.heartbeat_lost`, as before. A killed process under `floorwatch run` is paged at once
 *   anyway, by its wrapper's `process.exit`; the heartbeat loss joins that incident.
 * - A takeover from a primary that looked healthy is held for `confirmMs` too. When the old
 *   primary is still heard after the takeover (it stalled past the pair's deadline and rejoined
 *   as secondary), redundancy was never lost: `plant.role_swap`, info. Otherwise (lost, exited,
 *   silent) it is the fail-over it looked like: `plant.role_change`. A takeover from a primary
 *   that was stale or stopping is a real fail-over and is published at once.
 * - A pair's first primary is an election (`plant.role_elected`), not a fail-over.
 * - The wrapper knows the process is alive: a component whose pid a `floorwatch run` wrapper
 *   reported started (`process.start`) and not exited is given up to `aliveMaxMs` instead of
 *   `confirmMs` to be heard again (a plant process starved of CPU on a busy host stayed silent
 *   past 2 s and its pair's takeover paged as a fail-over). Its `process.exit` ends the wait at
 *   once: the fail-over or the loss is published then and joins the exit's incident. A component
 *   hung for longer than `aliveMaxMs` (deadlocked, SIGSTOPped) is lost as before.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { HealthHeartbeat, HealthRole } from '../../plant/health/types.js';

export type Publish = (
  kind: string,
  hb: HealthHeartbeat,
  severity: number,
  attrs?: Record<string, string>,
  values?: Record<string, number>,
  timeUs?: number,
) => void;

interface Suspect {
  since: number;
  timer: Timer;
  last: HealthHeartbeat;
}

/** A takeover held until the old primary is heard again, exits, or its time is up. */
interface HeldTakeover {
  old: string;
  pid: number | undefined;
  at: number;
  timer: Timer;
  decide: (why: 'time' | 'exit') => void;
}

export class PlantVerdicts {
  readonly #clock: Clock;
  readonly #confirmMs: number;
  readonly #publish: Publish;
  /** Components whose silence is still a suspicion. */
  readonly #suspects = new Map<string, Suspect>();
  /** Components whose loss was published: their return is `plant.heartbeat_back`. */
  readonly #lost = new Set<string>();
  readonly #lastRole = new Map<string, HealthRole>();
  /** The member each pair last heard as a steady primary. */
  readonly #primaryOf = new Map<string, string>();
  /** Monotonic ms and pid of each component's last heartbeat. */
  readonly #heardAt = new Map<string, number>();
  readonly #pidOf = new Map<string, number>();
  readonly #lastState = new Map<string, HealthHeartbeat['state']>();
  readonly #held = new Set<HeldTakeover>();
  readonly #aliveMaxMs: number;
  /** Pids a wrapper reported started and not (yet) exited. */
  readonly #alivePids = new Set<number>();

  constructor(o: { clock: Clock; confirmMs: number; publish: Publish; aliveMaxMs?: number }) {
    this.#clock = o.clock;
    this.#confirmMs = o.confirmMs;
    this.#publish = o.publish;
    this.#aliveMaxMs = Math.max(o.aliveMaxMs ?? 0, o.confirmMs);
  }

  /** A wrapper's `process.start` / `process.exit` (attrs.pid): whether a silent component's process lives. */
  processEvent(kind: 'start' | 'exit', pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (kind === 'start') {
      // Bounded by the processes wrapped on the floor; a pid reused after an exit we missed is replaced.
      if (this.#alivePids.size >= 100_000) this.#alivePids.clear();
      this.#alivePids.add(pid);
      return;
    }
    this.#alivePids.delete(pid);
    for (const [component, suspect] of this.#suspects) {
      if (suspect.last.pid !== pid) continue;
      suspect.timer.cancel();
      this.#suspects.delete(component);
      this.#confirmLost(component, suspect.last);
    }
    for (const h of this.#held) if (h.pid === pid) h.decide('exit');
  }

  /** How long from `since` a silent component may stay a suspicion: longer while its wrapper says its process lives. */
  #deadline(component: string, since: number): number {
    const pid = this.#pidOf.get(component);
    const alive = pid !== undefined && this.#alivePids.has(pid);
    return since + (alive ? this.#aliveMaxMs : this.#confirmMs);
  }

  /** Every heartbeat, before the listener's role_change for it. */
  heartbeat(hb: HealthHeartbeat): void {
    this.#heardAt.set(hb.component, this.#clock.monotonic());
    this.#pidOf.set(hb.component, hb.pid);
    this.#lastState.set(hb.component, hb.state);
    // Only a steady primary (primary in two heartbeats in a row) counts as the pair's primary.
    if (hb.role === 'primary' && this.#lastRole.get(hb.component) === 'primary') this.#primaryOf.set(hb.pair ?? hb.component, hb.component);
    this.#lastRole.set(hb.component, hb.role);
  }

  lost(component: string, last: HealthHeartbeat): void {
    if (this.#confirmMs === 0) return this.#confirmLost(component, last);
    const since = this.#clock.monotonic();
    const check = (): Timer => {
      const left = this.#deadline(component, since) - this.#clock.monotonic();
      return this.#clock.setTimeout(
        () => {
          const suspect = this.#suspects.get(component);
          if (!suspect) return;
          if (this.#deadline(component, since) > this.#clock.monotonic()) {
            suspect.timer = check();
            return;
          }
          this.#suspects.delete(component);
          this.#confirmLost(component, last);
        },
        Math.max(0, Math.min(left, this.#confirmMs)),
      );
    };
    this.#suspects.set(component, { since, timer: check(), last });
  }

  recovered(component: string, hb: HealthHeartbeat): void {
    const suspect = this.#suspects.get(component);
    if (suspect) {
      suspect.timer.cancel();
      this.#suspects.delete(component);
      // Back under another pid: the process died and was restarted within the window.
      if (hb.pid !== suspect.last.pid) {
        this.#confirmLost(component, suspect.last);
        this.#lost.delete(component);
        return this.#publish('plant.heartbeat_back', hb, 0);
      }
      const silentMs = Math.round(this.#clock.monotonic() - suspect.since);
      this.#publish(
        'plant.stalled',
        hb,
        0,
        { reason: 'heartbeats late, component alive' },
        { loop_stall_ms: hb.counters['loop_stall_ms'] ?? 0, silent_ms: silentMs },
      );
      return;
    }
    if (this.#lost.delete(component)) this.#publish('plant.heartbeat_back', hb, 0);
  }

  roleChange(component: string, from: HealthRole, to: HealthRole, hb: HealthHeartbeat): void {
    const pair = hb.pair ?? hb.component;
    const attrs = { from, to };
    if (to !== 'primary') return this.#publish('plant.role_change', hb, 1, attrs, { failovers: hb.failovers });
    const old = this.#primaryOf.get(pair);
    if (old === undefined) {
      this.#primaryOf.set(pair, component);
      return this.#publish('plant.role_elected', hb, 0, attrs);
    }
    const failover = () =>
      this.#publish(
        'plant.role_change',
        hb,
        3,
        { ...attrs, ...(old !== component ? { previous: old } : {}) },
        { failovers: hb.failovers },
        hb.time_us,
      );
    const oldState = this.#lastState.get(old);
    if (old === component || this.#confirmMs === 0 || this.#lost.has(old) || oldState === 'stale' || oldState === 'down') return failover();
    const at = this.#clock.monotonic();
    const pid = this.#pidOf.get(old);
    // Heard since, by the same process: it stalled; a restarted one (new pid) had died.
    const heardSince = () => (this.#heardAt.get(old) ?? 0) > at && this.#pidOf.get(old) === pid;
    const held: HeldTakeover = {
      old,
      pid,
      at,
      timer: this.#clock.setTimeout(() => decide('time'), this.#confirmMs),
      decide: (why) => decide(why),
    };
    const decide = (why: 'time' | 'exit'): void => {
      held.timer.cancel();
      if (why === 'time' && !heardSince() && !this.#lost.has(old)) {
        // Silent, but its wrapper says the process lives: wait for it (or its exit) up to aliveMaxMs.
        const left = this.#deadline(old, at) - this.#clock.monotonic();
        if (left > 0) {
          held.timer = this.#clock.setTimeout(() => decide('time'), Math.min(left, this.#confirmMs));
          return;
        }
      }
      this.#held.delete(held);
      if (why === 'exit' || !heardSince() || this.#lost.has(old) || this.#suspects.has(old)) return failover();
      this.#publish(
        'plant.role_swap',
        hb,
        0,
        { ...attrs, previous: old, reason: `${old} stalled past the pair's deadline and is alive` },
        { failovers: hb.failovers },
        hb.time_us,
      );
    };
    this.#held.add(held);
  }

  stop(): void {
    for (const s of this.#suspects.values()) s.timer.cancel();
    for (const h of this.#held) h.timer.cancel();
    this.#suspects.clear();
    this.#held.clear();
  }

  #confirmLost(component: string, last: HealthHeartbeat): void {
    this.#lost.add(component);
    this.#publish('plant.heartbeat_lost', last, 3, {}, { last_seq: last.seq });
  }
}
