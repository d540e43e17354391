/**
 * Every kind of suppression is a Muter and says why (style anchor 4, after Alertmanager's
 * notify/mute.go): silences, maintenance windows and the trading-day phase policy. A muted
 * alert is still recorded; only its page is held back, with the reason on the timeline.
 */
import type { Labels } from '../../lib/labels.js';

export const muteKinds = ['silence', 'maintenance', 'phase'] as const;
export type MuteKind = (typeof muteKinds)[number];

export interface MuteReason {
  readonly kind: MuteKind;
  /** The silence's id, the window's or the policy's name. */
  readonly id: string;
  readonly author: string;
  readonly reason: string;
  /** When the muting ends (ms since the epoch); undefined for a phase policy. */
  readonly until: number | undefined;
}

export interface Muter {
  /** Why an alert with `labels` must not page at `at`, or undefined when it may. */
  mutes(labels: Labels, at: Date): MuteReason | undefined;
}

/** The first muter's reason, in the order given (silences before maintenance before phase). */
export function firstMute(muters: readonly Muter[], labels: Labels, at: Date): MuteReason | undefined {
  for (const m of muters) {
    const r = m.mutes(labels, at);
    if (r) return r;
  }
  return undefined;
}
