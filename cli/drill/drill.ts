/**
 * One drill, end to end: note the incidents already there, inject the fault, wait for the
 * brain's incident and its pages (one per escalation step asked for), restore the floor, wait
 * for the incident to resolve, and report what the brain concluded and when.
 */
import { waitForOrUndefined } from '../../lib/wait-for.js';
import type { DemoLayout } from '../demo/layout.js';
import { BrainApi, deliveredPages, getJson, type DeliveredPage, type Incident } from './brain-api.js';

const QUIET_WAIT_MS = 20_000;

export interface DrillContext {
  readonly brain: BrainApi;
  /** The demo's layout, when a demo answers at --demo. */
  readonly demo?: DemoLayout;
  /** Records a timed step ("influxd stopped"), printed in the report; `at`: when it happened, if not now. */
  step(label: string, at?: number): void;
}

export interface Drill {
  readonly name: string;
  /** One line for `floorwatch drill --list`. */
  readonly what: string;
  /** The incident the brain should open; absent when the drill expects none. */
  readonly expected?: { readonly describe: string; matches(inc: Incident): boolean };
  /** Why the drill cannot run against this floor, if it cannot. */
  unavailable?(ctx: DrillContext): Promise<string | undefined> | string | undefined;
  /** Injects the fault; resolves with the function that restores the floor. */
  inject(ctx: DrillContext): Promise<() => Promise<void>>;
  /** More checks once the incident resolved (or did not): problems found, [] when none. `sinceMs`: the fault. */
  verify?(ctx: DrillContext, incident: Incident | undefined, sinceMs: number): Promise<string[]>;
}

/** For `expected.matches`: the incident has the alert among its roots or symptoms. */
export function hasAlert(alertname: string): (inc: Incident) => boolean {
  return (inc) => [...inc.roots, ...inc.symptoms].some((a) => a.alertname === alertname);
}

/** For `unavailable`: a drill that stages its fault in what only a running demo has (`what`: "its fixture host"). */
export function needsDemo(what: string): (ctx: DrillContext) => string | undefined {
  return (ctx) => (ctx.demo ? undefined : `needs a running \`floorwatch demo\` (${what})`);
}

export interface DrillOptions {
  readonly brainUrl: string;
  readonly demoUrl: string;
  /** Keep the fault until this many escalation steps have been paged. */
  readonly steps: number;
  readonly timeoutMs: number;
}

export interface DrillStep {
  readonly label: string;
  readonly at: number;
  /** Since the fault was injected. */
  readonly ms: number;
}

export interface DrillResult {
  readonly drill: string;
  readonly skipped?: string;
  readonly expected?: string;
  /** The incident matching the expectation (absent: none opened). */
  readonly incident?: Pick<Incident, 'id' | 'title' | 'severity' | 'status' | 'openedAt' | 'resolvedAt'> & {
    roots: string[];
    symptoms: string[];
  };
  /** Every incident opened during the drill that was not merged into another (on a busy box, unrelated ones too). */
  readonly newIncidents: { id: string; title: string }[];
  /** Those of them with the expected root cause: one, when the brain concluded one incident per cause. */
  readonly matching: string[];
  readonly pages: DeliveredPage[];
  /** The texts the demo's SNPP sink received for the incident (absent without a demo). */
  readonly pagerTexts?: { pagerIds: string[]; message: string }[];
  readonly steps: DrillStep[];
  readonly resolved: boolean;
  readonly problems: string[];
}

/** The steps and problems of one run; step times count from the fault injection. */
class Record {
  readonly steps: DrillStep[] = [];
  readonly problems: string[] = [];
  faultAt = Date.now();

  step(label: string, at = Date.now()): void {
    this.steps.push({ label, at, ms: at - this.faultAt });
  }
}

export async function runDrill(drill: Drill, o: DrillOptions): Promise<DrillResult> {
  const brain = new BrainApi(o.brainUrl);
  const rec = new Record();
  const demo = await getJson<DemoLayout>(`${o.demoUrl}/api/demo/layout`).catch(() => undefined);
  const ctx: DrillContext = { brain, ...(demo ? { demo } : {}), step: (l, at) => rec.step(l, at) };
  const result = (more: Partial<DrillResult>): DrillResult => ({
    drill: drill.name,
    ...(drill.expected ? { expected: drill.expected.describe } : {}),
    newIncidents: [],
    matching: [],
    pages: [],
    steps: rec.steps.sort((a, b) => a.at - b.at),
    resolved: false,
    problems: rec.problems,
    ...more,
  });
  const skipped = await drill.unavailable?.(ctx);
  if (skipped) return result({ skipped });

  const waited = await waitForQuietFloor(brain);
  const before = await brain.incidentIds();
  rec.faultAt = Date.now();
  if (waited.ms > 1000) rec.step(`(before the drill: ${waited.note})`, rec.faultAt - 1);
  rec.step('fault injection started');
  let restore: () => Promise<void>;
  try {
    restore = await drill.inject(ctx);
  } catch (err) {
    rec.problems.push(`injecting the fault failed: ${(err as Error).message}`);
    return result({});
  }
  rec.step('fault injected');
  const opened = drill.expected ? await observeIncident(brain, rec, drill.expected, before, o) : undefined;
  await restore().then(
    () => rec.step('floor restored'),
    (err: Error) => rec.problems.push(`restoring the floor failed: ${err.message}`),
  );
  const incident = opened && (await awaitResolution(brain, rec, opened.id, o.timeoutMs));
  const caused = await newIncidents(brain, before);
  const matchingIncidents = caused.filter((i) => drill.expected?.matches(i));
  const matching = matchingIncidents.map((i) => i.id);
  if (matching.length > 1) {
    // Say what each was and when it opened: which alert came late, or which cause fired twice.
    const described = matchingIncidents.map((i) => `${i.id} "${i.title}" opened @${i.openedAt - rec.faultAt} ms (${i.status})`);
    rec.problems.push(`${matching.length} incidents for one root cause: ${described.join('; ')}`);
  }
  if (drill.verify)
    await drill.verify(ctx, incident, rec.faultAt).then(
      (problems) => rec.problems.push(...problems),
      (err: Error) => rec.problems.push(`checking failed: ${err.message}`),
    );
  const pagerTexts = demo && incident ? await sinkPages(demo.demoUrl, incident.id) : undefined;
  return result({
    ...(incident ? { incident: summarise(incident) } : {}),
    ...(pagerTexts ? { pagerTexts } : {}),
    newIncidents: caused.map((i) => ({ id: i.id, title: i.title })),
    matching,
    pages: incident ? deliveredPages(incident) : [],
    resolved: incident ? incident.status === 'resolved' : true,
  });
}

/**
 * A fault injected while a major incident is open may rightly join it (a feed handler exiting
 * while its provider is down is a symptom): wait a while for a quiet floor, then go anyway.
 */
async function waitForQuietFloor(brain: BrainApi): Promise<{ ms: number; note: string }> {
  const from = Date.now();
  const serious = async () => (await brain.activeIncidents()).filter((i) => i.severity === 'major' || i.severity === 'critical');
  const quiet = await poll(QUIET_WAIT_MS, async () => ((await serious()).length === 0 ? true : undefined), 200);
  const ms = Date.now() - from;
  if (quiet) return { ms, note: `waited ${ms} ms for open major incidents to resolve` };
  return { ms, note: `floor not quiet after ${QUIET_WAIT_MS} ms: ${(await serious()).map((i) => `${i.id} ${i.title}`).join('; ')}` };
}

/** The expected incident, once it has paged the first `o.steps` escalation steps. */
async function observeIncident(
  brain: BrainApi,
  rec: Record,
  expected: NonNullable<Drill['expected']>,
  before: Set<string>,
  o: DrillOptions,
): Promise<Incident | undefined> {
  const incident = await poll(o.timeoutMs, async () => (await newIncidents(brain, before)).find((i) => expected.matches(i)));
  if (!incident) return void rec.problems.push(`no incident matching "${expected.describe}" within ${o.timeoutMs} ms`);
  rec.step(`incident ${incident.id} opened`, incident.openedAt);
  const paged = await poll(o.timeoutMs, async () => {
    const firstByStep = stepsPaged(await brain.incident(incident.id));
    return firstByStep.length >= o.steps ? firstByStep : undefined;
  });
  if (!paged) rec.problems.push(`fewer than ${o.steps} escalation step(s) paged within ${o.timeoutMs} ms`);
  for (const p of paged ?? []) rec.step(`page accepted: step ${p.step} (${p.person}, ${p.channel})`, p.at);
  return incident;
}

async function awaitResolution(brain: BrainApi, rec: Record, id: string, timeoutMs: number): Promise<Incident> {
  const done = await poll(timeoutMs, async () => {
    const inc = await brain.incident(id);
    return inc.status === 'resolved' ? inc : undefined;
  });
  if (done) rec.step(`incident ${id} resolved`, done.resolvedAt ?? Date.now());
  else rec.problems.push(`incident ${id} not resolved within ${timeoutMs} ms of the restore`);
  return done ?? (await brain.incident(id));
}

/** Incidents opened since `before`, except those merged into another (one root cause, one incident). */
async function newIncidents(brain: BrainApi, before: Set<string>): Promise<Incident[]> {
  const ids = [...(await brain.incidentIds())].filter((id) => !before.has(id));
  const all = await Promise.all(ids.map((id) => brain.incident(id)));
  return all.filter((i) => !i.mergedInto);
}

/** What the demo's pagers show for the incident: the SNPP sink's pages that name it. */
async function sinkPages(demoUrl: string, incidentId: string): Promise<{ pagerIds: string[]; message: string }[]> {
  const { pages } = await getJson<{ pages: { pagerIds: string[]; message: string }[] }>(`${demoUrl}/api/demo/pages`);
  return pages.filter((p) => p.message.startsWith(`${incidentId} `)).map(({ pagerIds, message }) => ({ pagerIds, message }));
}

/** The first delivered page of each escalation step, in step order. */
function stepsPaged(inc: Incident): DeliveredPage[] {
  const first = new Map<number, DeliveredPage>();
  for (const p of deliveredPages(inc)) if (p.kind === 'page' && !first.has(p.step)) first.set(p.step, p);
  return [...first.values()].sort((a, b) => a.step - b.step);
}

function summarise(inc: Incident): NonNullable<DrillResult['incident']> {
  return {
    id: inc.id,
    title: inc.title,
    severity: inc.severity,
    status: inc.status,
    openedAt: inc.openedAt,
    resolvedAt: inc.resolvedAt,
    roots: inc.roots.map((r) => `${r.alertname}: ${r.text}`),
    symptoms: inc.symptoms.map((s) => `${s.alertname}: ${s.text}`),
  };
}

/** Polls until `probe` gives a value or the time is up (then undefined); errors count as "not yet" (lib/wait-for.ts). */
export function poll<T>(timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 50): Promise<T | undefined> {
  return waitForOrUndefined('a drill condition', probe, { timeoutMs, everyMs });
}
