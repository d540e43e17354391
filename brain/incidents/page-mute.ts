/**
 * Whether an incident's pages are held back, and why: one chain of page muters, asked in order,
 * the first that mutes says why (kind and id, not text). The notify pipeline's mute stage
 * (brain/notify/mute-stage.ts) is where it decides; the incidents API shows the same answer.
 *
 * - incident_silence: someone silenced the incident (API, wall board), until a time or its end;
 * - silence / maintenance / phase: the calendar's muters held back every root alert when it
 *   fired (the rules engine evaluates them at fire time and the alert carries the reason).
 */
import type { MuteKind } from '../calendar/muter.js';
import type { Incident } from './incident.js';

export type PageMuteKind = MuteKind | 'incident_silence' | 'unknown';

export interface PageMute {
  readonly kind: PageMuteKind;
  /** The silence's or window's id, the policy's name, or who silenced the incident. */
  readonly id: string;
  /** For people: "silenced by dave: risk engine redeploy", "muted: maintenance window plant-upgrade". */
  readonly text: string;
}

export type PageMuter = (inc: Incident, at: number) => PageMute | undefined;

export const incidentSilence: PageMuter = (inc, at) => {
  const s = inc.silence;
  if (!s || (s.untilMs !== undefined && at >= s.untilMs)) return undefined;
  return { kind: 'incident_silence', id: s.by, text: `silenced by ${s.by}: ${s.reason}` };
};

/** Every root alert muted when it fired: the first root's reason speaks for them. */
export const everyRootMuted: PageMuter = (inc) => {
  if (inc.roots.length === 0 || !inc.roots.every((r) => r.muted !== undefined)) return undefined;
  const first = inc.roots[0]!;
  return { kind: first.mutedBy?.kind ?? 'unknown', id: first.mutedBy?.id ?? '', text: `muted: ${first.muted}` };
};

/** The page muters in the order they are asked. */
export const pageMuters: readonly PageMuter[] = [incidentSilence, everyRootMuted];

export function firstPageMute(inc: Incident, at: number, muters: readonly PageMuter[] = pageMuters): PageMute | undefined {
  for (const m of muters) {
    const r = m(inc, at);
    if (r) return r;
  }
  return undefined;
}
