/**
 * Suppression as the plan half's first stage: the page muter chain (brain/incidents/page-mute.ts:
 * incident silence, then the calendar muters on every root alert) decides; a muted incident
 * stops here and `onMuted` records why (timeline, `floorwatch_notifications_suppressed_total{reason}`).
 * The incident itself is recorded either way.
 */
import { firstPageMute, pageMuters, type PageMute, type PageMuter } from '../incidents/page-mute.js';
import type { PlanContext, Stage } from './stage.js';

/** Stops a muted incident's pages; `onMuted` records the reason (timeline, counter). */
export function muteStage(
  onMuted: (ctx: PlanContext, mute: PageMute) => void,
  muters: readonly PageMuter[] = pageMuters,
): Stage<PlanContext> {
  return {
    name: 'mute',
    exec(ctx) {
      const mute = firstPageMute(ctx.incident, ctx.at, muters);
      if (!mute) return ctx;
      onMuted({ ...ctx, mute }, mute);
      return undefined;
    },
  };
}
