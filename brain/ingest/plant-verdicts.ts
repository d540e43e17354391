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
 *   hung for longer than `aliveMaxMs` (deadlocked, SIGSTOPped) is lost as before. A component
 *   whose process already exited when its silence is noticed is lost at once.
 * - "Alive" is keyed on the process, not the pid: pid plus start time (ticks since boot), sent by
 *   the wrapper in `attrs.start_ticks` and by the component in its heartbeat's `start_ticks`
 *   (lib/process-identity.ts). A pid the kernel handed to a new process after an exit the brain
 *   missed is another key, so a dead component is never taken for alive by its pid's new owner.
 * - A pair is down (`plant.pair_down`, critical) when every member heard so far is lost by the
 *   rules above, and up again (`plant.pair_up`) when one is heard. So it follows the wrapper:
 *   members starting and alive but starved silent are waited for, members that exited are down
 *   at once. It replaced a threshold on the age of the members' series (3 s), which called both
 *   pairs down while the floor's processes started on a host at load 40 (docs/benchmarks.md).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import { processKey } from '../../lib/process-identity.js';
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
  /** The old primary's process (lib/process-identity.ts processKey). */
  process: string | undefined;
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
  /** Monotonic ms and process (pid + start time) of each component's last heartbeat. */
  readonly #heardAt = new Map<string, number>();
  readonly #processOf = new Map<string, string>();
  readonly #lastState = new Map<string, HealthHeartbeat['state']>();
  readonly #held = new Set<HeldTakeover>();
  readonly #aliveMaxMs: number;
  /** Processes (pid + start time) a wrapper reported started and not (yet) exited. */
  readonly #alive = new Set<string>();
  /** Processes a wrapper reported exited, the latest EXITED_KEPT: a silence noticed after the exit is a loss at once. */
  readonly #exited = new Set<string>();
  /** Each pair's members heard so far (bounded by the floor's components). */
  readonly #members = new Map<string, Set<string>>();
  readonly #pairsDown = new Set<string>();

  constructor(o: { clock: Clock; confirmMs: number; publish: Publish; aliveMaxMs?: number }) {
    this.#clock = o.clock;
    this.#confirmMs = o.confirmMs;
    this.#publish = o.publish;
    this.#aliveMaxMs = Math.max(o.aliveMaxMs ?? 0, o.confirmMs);
  }

  /**
   * A wrapper's `process.start` / `process.exit` (attrs.pid, attrs.start_ticks): whether a silent
   * component's process lives.
   */
  processEvent(kind: 'start' | 'exit', pid: number, startTicks?: number): void {
    if (!Number.isInteger(pid) || pid <= 0) return;
    const key = processKey(pid, startTicks !== undefined && Number.isInteger(startTicks) && startTicks >= 0 ? startTicks : undefined);
    if (kind === 'start') {
      // Bounded by the processes wrapped on the floor; exits we missed are forgotten wholesale.
      if (this.#alive.size >= MAX_PROCESSES) this.#alive.clear();
      this.#alive.add(key);
      this.#exited.delete(key);
      return;
    }
    this.#alive.delete(key);
    if (this.#exited.size >= MAX_PROCESSES) this.#exited.delete(this.#exited.values().next().value!);
    this.#exited.add(key);
    for (const [component, suspect] of this.#suspects) {
      if (keyOf(suspect.last) !== key) continue;
      suspect.timer.cancel();
      this.#suspects.delete(component);
      this.#confirmLost(component, suspect.last);
    }
    for (const h of this.#held) if (h.process === key) h.decide('exit');
  }

  /** How long from `since` a silent component may stay a suspicion: longer while its wrapper says its process lives. */
  #deadline(component: string, since: number): number {
    const key = this.#processOf.get(component);
    if (key !== undefined && this.#exited.has(key)) return since;
    const alive = key !== undefined && this.#alive.has(key);
    return since + (alive ? this.#aliveMaxMs : this.#confirmMs);
  }

  /** Every heartbeat, before the listener's role_change for it. */
  heartbeat(hb: HealthHeartbeat): void {
    this.#heardAt.set(hb.component, this.#clock.monotonic());
    this.#processOf.set(hb.component, keyOf(hb));
    if (hb.pair !== null) this.#joinPair(hb.pair, hb);
    this.#lastState.set(hb.component, hb.state);
    // Only a steady primary (primary in two heartbeats in a row) counts as the pair's primary.
    if (hb.role === 'primary' && this.#lastRole.get(hb.component) === 'primary') this.#primaryOf.set(hb.pair ?? hb.component, hb.component);
    this.#lastRole.set(hb.component, hb.role);
  }

  lost(component: string, last: HealthHeartbeat): void {
    const since = this.#clock.monotonic();
    // No window, or the wrapper already reported this process's exit: nothing to wait for.
    if (this.#confirmMs === 0 || this.#deadline(component, since) <= since) return this.#confirmLost(component, last);
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
      // Back as another process: it died and was restarted within the window.
      if (keyOf(hb) !== keyOf(suspect.last)) {
        this.#confirmLost(component, suspect.last);
        this.#lost.delete(component);
        this.#publish('plant.heartbeat_back', hb, 0);
        return this.#pairHeard(hb);
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
    if (this.#lost.delete(component)) {
      this.#publish('plant.heartbeat_back', hb, 0);
      this.#pairHeard(hb);
    }
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
    const oldProcess = this.#processOf.get(old);
    // Heard since, by the same process: it stalled; a restarted one (another process) had died.
    const heardSince = () => (this.#heardAt.get(old) ?? 0) > at && this.#processOf.get(old) === oldProcess;
    const held: HeldTakeover = {
      old,
      process: oldProcess,
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
    const pair = last.pair;
    if (pair === null || this.#pairsDown.has(pair)) return;
    const members = [...(this.#members.get(pair) ?? [component])];
    if (!members.every((m) => this.#lost.has(m))) return;
    this.#pairsDown.add(pair);
    this.#publish('plant.pair_down', last, 4, { members: members.join(',') });
  }

  #joinPair(pair: string, hb: HealthHeartbeat): void {
    let members = this.#members.get(pair);
    if (!members) {
      if (this.#members.size >= MAX_PROCESSES) return;
      this.#members.set(pair, (members = new Set()));
    }
    if (members.has(hb.component) || members.size >= MAX_PAIR_MEMBERS) return;
    members.add(hb.component);
    // A member never heard before (a replacement under a new id) brings a down pair back.
    this.#pairHeard(hb);
  }

  /** A member of `hb.pair` is heard and not lost: a pair called down is up again. */
  #pairHeard(hb: HealthHeartbeat): void {
    if (hb.pair === null || this.#lost.has(hb.component) || !this.#pairsDown.delete(hb.pair)) return;
    this.#publish('plant.pair_up', hb, 0, { members: [...(this.#members.get(hb.pair) ?? [])].join(',') });
  }
}

/** Processes and pairs remembered: far more than a floor has; past it, the oldest are forgotten. */
const MAX_PROCESSES = 100_000;
const MAX_PAIR_MEMBERS = 64;

function keyOf(hb: HealthHeartbeat): string {
  return processKey(hb.pid, hb.start_ticks);
}
