/** Helpers for drills on the reference plant: who is primary, are they all back. */
import type { BrainApi } from '../brain-api.js';
import { poll } from '../drill.js';
import { plantComponentPids } from '../processes.js';

/** The members of a pair, primary first, from the plant's health series. */
export async function pairMembers(brain: BrainApi, pair: string): Promise<string[]> {
  const members = (await brain.series('plant', 'primary')).filter((s) => s.tags['pair'] === pair);
  if (members.length === 0) throw new Error(`the brain knows no plant pair "${pair}" (GET /api/series?measurement=plant&field=primary)`);
  return members.sort((a, b) => b.value - a.value).map((s) => s.tags['component']!);
}

/** Waits until each component runs again and its heartbeats reach the brain. */
export async function waitComponentsBack(
  brain: BrainApi,
  components: readonly string[],
  sinceMs: number,
  within?: string,
  timeoutMs = 30_000,
): Promise<void> {
  const back = await poll(
    timeoutMs,
    async () => {
      const seq = await brain.series('plant', 'seq');
      const fresh = components.every(
        (c) => plantComponentPids(c, within).length > 0 && seq.some((s) => s.tags['component'] === c && s.time_us / 1000 > sinceMs),
      );
      return fresh || undefined;
    },
    100,
  );
  if (!back) throw new Error(`${components.join(', ')} not back within ${timeoutMs} ms`);
}

/** The component's processes; with `within` (a demo's state directory), only that demo's. */
export function pidsOf(component: string, within?: string): number[] {
  const pids = plantComponentPids(component, within);
  if (pids.length === 0) throw new Error(`no process runs plant component ${component} on this host`);
  return pids;
}
