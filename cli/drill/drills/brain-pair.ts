/**
 * Drills on the demo's own brain pair (docs/brain-pair.md): SIGKILL or SIGSTOP the primary brain.
 * The other brain takes over (the time from the fault to its role-log line "primary" is a step of
 * the report); the new primary pages PairLegDown ("one leg broken", major) once the fault has
 * lasted leg_down_after_ms; the restore restarts the killed brain (through the demo) or SIGCONTs
 * the stopped one, and waits until it is back as an in-sync secondary, which resolves the
 * incident. `verify` then checks that no page went twice across the take-over: the brain's
 * timeline has each delivery once, and the demo's SNPP sink received no page twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { DemoLayout, DemoLayoutLeg } from '../../demo/layout.js';
import { getJson, postJson, type Incident } from '../brain-api.js';
import { hasAlert, poll, type Drill, type DrillContext } from '../drill.js';
import { findPids, signal } from '../processes.js';

/** How long a take-over or a brain's return may take on a busy box before the drill calls it a problem. */
const TAKEOVER_TIMEOUT_MS = 30_000;
const BACK_TIMEOUT_MS = 60_000;

interface PairHealth {
  pair?: { id: string; role: string; term: number; replica?: { connected: boolean; inSync?: boolean } };
}

interface RoleLine {
  atMs: number;
  role: string;
  term: number;
  reason: string;
}

type Brains = NonNullable<DemoLayout['brains']>;

const needsPair = (ctx: DrillContext) =>
  ctx.demo?.brains ? undefined : 'needs a running `floorwatch demo` with its brain pair (the drill kills or stops one of its brains)';

/** PairLegDown, opened by the brain that took over, naming the brain it no longer hears. */
const legDown = {
  describe: 'brain pair: one leg broken, <old primary> unheard (PairLegDown), major',
  matches: hasAlert('PairLegDown'),
};

export const killPrimaryBrain: Drill = {
  name: 'kill-primary-brain',
  what: "kill -9 the primary brain of the demo's pair (the other takes over; the demo restarts it)",
  expected: legDown,
  unavailable: needsPair,
  async inject(ctx) {
    const brains = ctx.demo!.brains!;
    const { leg, term, pid } = await currentPrimary(brains, ctx.demo!.stateDir);
    signal([pid], 'SIGKILL');
    const at = Date.now();
    ctx.step(`kill -9 ${leg.id} (primary, term ${term}, pid ${pid})`, at);
    await awaitTakeover(ctx, brains, leg, at);
    return async () => {
      await postJson(`${ctx.demo!.demoUrl}/api/demo/brains/start?id=${encodeURIComponent(leg.id)}`);
      ctx.step(`${leg.id} restarted`);
      await awaitSecondaryInSync(ctx, leg);
    };
  },
  verify: noPageTwice,
};

export const stallPrimaryBrain: Drill = {
  name: 'stall-primary-brain',
  what: "SIGSTOP the primary brain of the demo's pair, SIGCONT it after the page (the other takes over; the woken one follows)",
  expected: legDown,
  unavailable: needsPair,
  async inject(ctx) {
    const brains = ctx.demo!.brains!;
    const { leg, term, pid } = await currentPrimary(brains, ctx.demo!.stateDir);
    signal([pid], 'SIGSTOP');
    const at = Date.now();
    ctx.step(`kill -STOP ${leg.id} (primary, term ${term}, pid ${pid})`, at);
    try {
      await awaitTakeover(ctx, brains, leg, at);
    } catch (err) {
      signal([pid], 'SIGCONT');
      throw err;
    }
    return async () => {
      signal([pid], 'SIGCONT');
      ctx.step(`kill -CONT ${leg.id}`);
      const down = await poll(TAKEOVER_TIMEOUT_MS, async () => roleLines(leg).find((l) => l.atMs >= at && l.role === 'secondary'), 50);
      if (down) ctx.step(`${leg.id} woke and stepped down (${down.reason}, term ${down.term})`, down.atMs);
      await awaitSecondaryInSync(ctx, leg);
    };
  },
  verify: noPageTwice,
};

/** The leg that says it is primary, its term, and its process (this demo's only). */
async function currentPrimary(brains: Brains, stateDir: string): Promise<{ leg: DemoLayoutLeg; term: number; pid: number }> {
  const found = await poll(TAKEOVER_TIMEOUT_MS, async () => {
    for (const leg of brains.legs) {
      const h = await health(leg);
      if (h?.role === 'primary') return { leg, term: h.term };
    }
    return undefined;
  });
  if (!found) throw new Error(`no brain of the pair answers as primary (${brains.legs.map((l) => l.url).join(', ')})`);
  const pids = brainPids(found.leg.id, stateDir);
  if (pids.length !== 1) throw new Error(`expected one process for ${found.leg.id}, found ${pids.length} (${pids.join(', ')})`);
  return { ...found, pid: pids[0]! };
}

/** The other leg's role log says "primary" after `since`: the take-over, timed from the fault. */
async function awaitTakeover(ctx: DrillContext, brains: Brains, from: DemoLayoutLeg, since: number): Promise<void> {
  const other = brains.legs.find((l) => l.id !== from.id)!;
  const line = await poll(TAKEOVER_TIMEOUT_MS, async () => roleLines(other).find((l) => l.atMs >= since && l.role === 'primary'), 25);
  if (!line) throw new Error(`${other.id} did not become primary within ${TAKEOVER_TIMEOUT_MS} ms (role log ${other.roleLog})`);
  ctx.step(`${other.id} primary (term ${line.term}): take-over ${line.atMs - since} ms after the fault`, line.atMs);
}

async function awaitSecondaryInSync(ctx: DrillContext, leg: DemoLayoutLeg): Promise<void> {
  const back = await poll(BACK_TIMEOUT_MS, async () => {
    const h = await health(leg);
    return h?.role === 'secondary' && h.replica?.inSync ? h : undefined;
  });
  if (!back) throw new Error(`${leg.id} not back as an in-sync secondary within ${BACK_TIMEOUT_MS} ms (${leg.url}/api/health)`);
  ctx.step(`${leg.id} back: secondary, in sync with the primary (term ${back.term})`);
}

/**
 * No page twice: each delivery once in the incident's timeline (the new primary's, which holds
 * the old one's records), and at the demo's SNPP sink no page received twice since the fault
 * (the demo never repeats a step: max_repeats 0, one person per step).
 */
async function noPageTwice(ctx: DrillContext, incident: Incident | undefined, since: number): Promise<string[]> {
  const problems: string[] = [];
  // "delivered by snpp (INC-0002/0/page/alice)": the key names incident, step, kind and person.
  const delivered = new Map<string, number>();
  for (const e of incident?.timeline ?? []) {
    const key = e.kind === 'page' ? /^delivered by \S+ \(([^)]+)\)/.exec(e.text)?.[1] : undefined;
    if (key) delivered.set(key, (delivered.get(key) ?? 0) + 1);
  }
  for (const [key, n] of delivered) if (n > 1) problems.push(`page ${key} delivered ${n} times (the brain's timeline)`);
  const { pages } = await getJson<{ pages: { at: number; pagerIds: string[]; message: string }[] }>(`${ctx.demo!.demoUrl}/api/demo/pages`);
  const received = new Map<string, number>();
  for (const p of pages.filter((p) => p.at >= since)) {
    const key = `${p.pagerIds.join(',')}: ${p.message}`;
    received.set(key, (received.get(key) ?? 0) + 1);
  }
  for (const [key, n] of received) if (n > 1) problems.push(`the SNPP sink received ${n} times: ${key}`);
  const ours = pages.filter((p) => incident && p.message.startsWith(`${incident.id} `)).length;
  ctx.step(
    `pages checked: ${delivered.size} deliveries in the incident's timeline, ${ours} messages for it at the pager sink; ` +
      (problems.length ? `${problems.length} repeated` : 'none twice since the fault'),
  );
  return problems;
}

async function health(leg: DemoLayoutLeg): Promise<NonNullable<PairHealth['pair']> | undefined> {
  return (await getJson<PairHealth>(`${leg.url}/api/health`).catch(() => undefined))?.pair;
}

function roleLines(leg: DemoLayoutLeg): RoleLine[] {
  if (!existsSync(leg.roleLog)) return [];
  return readFileSync(leg.roleLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as RoleLine];
      } catch {
        return []; // a line being written
      }
    });
}

/** `floorwatch brain ... --id <id>` of this demo (its config is in the demo's state directory). */
function brainPids(id: string, stateDir: string): number[] {
  const dir = stateDir.endsWith('/') ? stateDir : `${stateDir}/`;
  return findPids(
    (argv) =>
      argv.includes('brain') &&
      !argv.includes('witness') &&
      argv[argv.indexOf('--id') + 1] === id &&
      argv.some((a) => a.startsWith(dir)) &&
      !argv.includes('run'),
  );
}
