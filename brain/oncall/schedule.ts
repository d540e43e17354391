/**
 * Who is on call, as a pure function of the schedule and an instant: rotations on the wall clock
 * of their own IANA zone (so a London 07:00 shift follows BST and a New York one follows EDT,
 * each on its own DST date), follow-the-sun as several rotations of one tier, daily or weekly
 * hand-offs, and overrides with a start and an end.
 */
import type { Recipient } from '../channels/notification.js';
import { localTime } from './local-time.js';

export const TIERS = ['first-line', 'back-line', 'support-manager'] as const;
export type Tier = (typeof TIERS)[number];

export interface Rotation {
  readonly name: string;
  readonly tier: Tier;
  readonly timeZone: string;
  /** Local weekdays a shift starts on, 0 = Sunday. */
  readonly days: ReadonlySet<number>;
  /** Minutes after local midnight; an end at or before the start runs past midnight. */
  readonly startMinute: number;
  readonly endMinute: number;
  /** Person ids, in hand-off order. */
  readonly people: readonly string[];
  readonly handoff: { readonly every: 'day' | 'week'; readonly anchorDay: number };
}

export interface Override {
  readonly tier: Tier;
  readonly person: string;
  /** Epoch ms, start inclusive, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** Stand in for this person only; without it the override is the whole tier for its window. */
  readonly replaces?: string;
}

export interface Schedule {
  readonly people: ReadonlyMap<string, Recipient>;
  readonly rotations: readonly Rotation[];
  readonly overrides: readonly Override[];
}

export interface OnCall {
  readonly person: Recipient;
  /** The rotation's name, or "override". */
  readonly via: string;
}

export function whoIsOnCall(schedule: Schedule, tier: Tier, at: number): OnCall[] {
  const fromRotations: { id: string; via: string }[] = [];
  for (const rotation of schedule.rotations) {
    if (rotation.tier !== tier) continue;
    const id = onShift(rotation, at);
    if (id !== undefined) fromRotations.push({ id, via: rotation.name });
  }
  const overrides = schedule.overrides.filter((o) => o.tier === tier && o.start <= at && at < o.end);
  const wholeTier = overrides.filter((o) => o.replaces === undefined);
  let result = wholeTier.length > 0 ? wholeTier.map((o) => ({ id: o.person, via: 'override' })) : fromRotations;
  for (const o of overrides) {
    if (o.replaces !== undefined) result = result.map((r) => (r.id === o.replaces ? { id: o.person, via: 'override' } : r));
  }
  const seen = new Set<string>();
  const out: OnCall[] = [];
  for (const { id, via } of result) {
    const person = schedule.people.get(id);
    if (!person || seen.has(id)) continue;
    seen.add(id);
    out.push({ person, via });
  }
  return out;
}

/** The person whose shift of this rotation covers `at`, if any. */
export function onShift(rotation: Rotation, at: number): string | undefined {
  const local = localTime(at, rotation.timeZone);
  const { startMinute: start, endMinute: end } = rotation;
  let shiftDay: number | undefined;
  if (end > start) {
    if (local.minuteOfDay >= start && local.minuteOfDay < end) shiftDay = local.dayNumber;
  } else if (local.minuteOfDay >= start) {
    shiftDay = local.dayNumber;
  } else if (local.minuteOfDay < end) {
    shiftDay = local.dayNumber - 1; // the tail of yesterday's overnight shift
  }
  if (shiftDay === undefined || !rotation.days.has((((shiftDay + 4) % 7) + 7) % 7)) return undefined;
  const period = rotation.handoff.every === 'week' ? 7 : 1;
  const turns = Math.floor((shiftDay - rotation.handoff.anchorDay) / period);
  const n = rotation.people.length;
  return n === 0 ? undefined : rotation.people[((turns % n) + n) % n];
}
