/**
 * Each stage of the notification path alone, on a fake clock: context in → context out (or
 * stopped, with what it recorded). The composition is tested by paging.test.ts and the scenarios.
 */
import t from 'tap';
import { join } from 'node:path';
import type { Incident } from '../../../brain/incidents/incident.js';
import { IncidentStore } from '../../../brain/incidents/incident-store.js';
import type { PageMute } from '../../../brain/incidents/page-mute.js';
import { escalateStage } from '../../../brain/notify/escalate-stage.js';
import type { IncidentSummary } from '../../../brain/notify/escalation.js';
import { muteStage } from '../../../brain/notify/mute-stage.js';
import { Outbox } from '../../../brain/notify/outbox.js';
import { outboxStage } from '../../../brain/notify/outbox-stage.js';
import { deliverPipeline } from '../../../brain/notify/pipeline.js';
import type { RoutedEscalation } from '../../../brain/notify/routed-escalation.js';
import { routeStage } from '../../../brain/notify/route-stage.js';
import { pipe, type PlanContext, type RouteChoice, type Stage } from '../../../brain/notify/stage.js';
import { parseBrainConfig } from '../../../brain/config.js';
import { FakeClock } from '../../../lib/clock.js';
import { MetricsRegistry } from '../../../lib/metrics.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { newIncident } from './paging-fixtures.js';
import { sampleNotification } from './sample-notification.js';

const MIN = 60_000;

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-0001',
    status: 'open',
    severity: 'major',
    title: 'fh-a exited',
    causeKeys: [],
    roots: [
      {
        key: 'k',
        alertname: 'ProcessExited',
        labels: { host: 'fh-host-a' },
        text: 'fh-a exited',
        state: 'firing',
        severity: 'major',
        firedAt: 0,
      },
    ],
    symptoms: [],
    impact: { hosts: ['fh-host-a'], components: [], pairs: [] },
    openedAt: 0,
    timeline: [],
    timelineDropped: 0,
    ...over,
  };
}

t.test('pipe runs stages in order and stops at the first that stops', async (t) => {
  const seen: string[] = [];
  const stage = (name: string, stop = false): Stage<number> => ({ name, exec: (n) => (seen.push(name), stop ? undefined : n + 1) });
  t.equal(pipe('p', [stage('a'), stage('b')]).exec(1), 3);
  seen.length = 0;
  t.equal(pipe('p', [stage('a'), stage('b', true), stage('c')]).exec(1), undefined);
  t.same(seen, ['a', 'b'], 'c never ran');
});

t.test('mute stage: the first muter of the chain stops the pages and says its kind and id', async (t) => {
  const clock = new FakeClock();
  const now = clock.now();
  const muted = { muted: 'maintenance window plant-upgrade', mutedBy: { kind: 'maintenance' as const, id: 'plant-upgrade' } };
  const root = incident().roots[0]!;
  const cases: { name: string; inc: Incident; at: number; want: Pick<PageMute, 'kind' | 'id'> | undefined }[] = [
    { name: 'nothing mutes', inc: incident(), at: now, want: undefined },
    {
      name: 'a silence on the incident',
      inc: incident({ silence: { by: 'dave', reason: 'redeploy', at: now, untilMs: now + 30 * MIN } }),
      at: now,
      want: { kind: 'incident_silence', id: 'dave' },
    },
    {
      name: 'the silence has ended',
      inc: incident({ silence: { by: 'dave', reason: 'redeploy', at: now, untilMs: now + 30 * MIN } }),
      at: now + 30 * MIN,
      want: undefined,
    },
    {
      name: 'every root muted by a maintenance window',
      inc: incident({ roots: [{ ...root, ...muted }] }),
      at: now,
      want: { kind: 'maintenance', id: 'plant-upgrade' },
    },
    {
      name: 'one root of two muted: pages go',
      inc: incident({
        roots: [
          { ...root, ...muted },
          { ...root, key: 'k2' },
        ],
      }),
      at: now,
      want: undefined,
    },
    {
      name: 'the incident silence is asked first',
      inc: incident({ roots: [{ ...root, ...muted }], silence: { by: 'dave', reason: 'x', at: now } }),
      at: now,
      want: { kind: 'incident_silence', id: 'dave' },
    },
  ];
  for (const c of cases) {
    const recorded: PageMute[] = [];
    const out = muteStage((_ctx, m) => recorded.push(m)).exec({ incident: c.inc, at: c.at });
    t.same(out === undefined ? recorded.map((m) => ({ kind: m.kind, id: m.id })) : undefined, c.want ? [c.want] : undefined, c.name);
  }
});

t.test('route stage: the route at the opening instant, recorded once per incident', async (t) => {
  const config = parseBrainConfig(`paging:
  schedule: /dev/null
  email: {host: 127.0.0.1, port: 25, from: floorwatch@floor.example}
  snpp: {host: 127.0.0.1, port: 444}
  routes:
    - {name: minor-mail, match: {severity: [minor]}, urgency: low}
    - {name: trading, match: {phase: [intraday]}, channels: [email]}
`).paging!;
  const routed: RouteChoice[] = [];
  const stage = routeStage({
    config,
    phaseAt: (at) => (at < 60 * MIN ? 'closed' : 'intraday'),
    clientImpacting: (inc) => inc.severity === 'critical',
    onRouted: (_ctx, r) => routed.push(r),
  });
  const at = 120 * MIN;
  const cases: { name: string; inc: Incident; want: Omit<RouteChoice, 'phase'> & { phase: string } }[] = [
    {
      name: 'minor: low urgency, mail only',
      inc: incident({ severity: 'minor' }),
      want: { name: 'minor-mail', phase: 'closed', channels: ['email'], clientUpdates: false },
    },
    {
      name: 'opened while closed: the default route, though it is intraday now',
      inc: incident(),
      want: { name: 'default', phase: 'closed', channels: ['snpp', 'email'], clientUpdates: false },
    },
    {
      name: 'opened intraday',
      inc: incident({ openedAt: 90 * MIN, severity: 'critical' }),
      want: { name: 'trading', phase: 'intraday', channels: ['email'], clientUpdates: true },
    },
  ];
  for (const c of cases) {
    routed.length = 0;
    t.same(stage.exec({ incident: c.inc, at })?.route, c.want, c.name);
    t.same(routed, [c.want], `${c.name}: recorded`);
  }
  routed.length = 0;
  t.ok(stage.exec({ incident: incident({ route: 'default' }), at })?.route, 'an incident already routed is routed again (same answer)');
  t.same(routed, [], 'but not recorded twice');
});

t.test('escalate stage: opens the route escalator; an incident acked before a restart only remembers who was paged', async (t) => {
  const opened: unknown[][] = [];
  const clientOpened: string[] = [];
  const escalation = { open: (...a: unknown[]) => void opened.push(a) } as unknown as RoutedEscalation;
  const clientUpdates = { open: (s: IncidentSummary) => void clientOpened.push(s.incidentId) } as never;
  const stage = escalateStage({ escalation, clientUpdates, summary: (ctx) => ({ incidentId: ctx.incident.id }) as IncidentSummary });
  const route: RouteChoice = { name: 'default', phase: 'intraday', channels: ['snpp'], clientUpdates: true };
  const ctx: PlanContext = { incident: incident({ openedAt: 5 }), at: 10, route };
  t.equal(stage.exec(ctx), ctx, 'passes the context on');
  stage.exec({
    ...ctx,
    route: { ...route, clientUpdates: false },
    incident: incident({ id: 'INC-0002', status: 'acknowledged', openedAt: 5, ackedAt: 7 }),
  });
  t.same(opened, [
    ['default', { incidentId: 'INC-0001' }, 5, undefined],
    ['default', { incidentId: 'INC-0002' }, 5, 7],
  ]);
  t.same(clientOpened, ['INC-0001'], 'client updates only where the route says so');
  t.throws(() => stage.exec({ incident: incident(), at: 0 }), /route stage first/);
});

t.test('outbox stage: enqueued passes, a known key stops quietly, a full outbox stops with the refusal recorded', async (t) => {
  const dir = scratchDir(t);
  const clock = new FakeClock();
  const outbox = Outbox.open({ file: join(dir, 'outbox.jsonl'), clock, maxPending: 1 });
  t.teardown(() => outbox.close());
  const refused: string[] = [];
  const stage = outboxStage({
    dispatcher: { dispatch: (n) => outbox.enqueue(n) },
    onRefused: (ctx, r) => refused.push(`${ctx.notification.recipient.id}: ${r.reason}`),
  });
  const first = { notification: sampleNotification(), reason: 'firstPage' as const };
  t.equal(stage.exec(first), first, 'enqueued: passed on to delivery');
  t.equal(outbox.pending()[0]?.notification.reason, 'firstPage', 'the reason is in the outbox with the notification');
  t.equal(stage.exec(first), undefined, 'the same key again: stopped (exactly once)');
  t.same(refused, [], 'a duplicate is not a refusal');
  t.equal(stage.exec({ notification: sampleNotification({ escalationStep: 1 }), reason: 'escalation' }), undefined, 'the outbox is full');
  t.same(refused, ['alice: full']);
});

t.test('deliver pipeline: an outbox refusal is an FW_ERR_PAGING_OUTBOX_FULL entry in the timeline and a counted drop', async (t) => {
  const dir = scratchDir(t);
  const clock = new FakeClock();
  const incidents = new IncidentStore({ file: join(dir, 'incidents.jsonl'), clock });
  t.teardown(() => incidents.close());
  const inc = incidents.open(newIncident('major', 'fh-a exited'));
  const outbox = Outbox.open({ file: join(dir, 'outbox.jsonl'), clock, maxPending: 0 });
  t.teardown(() => outbox.close());
  const m = new MetricsRegistry({ defaults: false });
  const metrics = { suppressed: m.counter('s_total', 's', ['reason']), refused: m.counter('r_total', 'r', ['reason']) };
  const deliver = deliverPipeline({ incidents, metrics }, { dispatch: (n) => outbox.enqueue(n) });
  t.equal(deliver.exec({ notification: sampleNotification({ incidentId: inc.id }), reason: 'firstPage' }), undefined);
  const entry = incidents.get(inc.id)!.timeline.at(-1)!;
  t.same({ kind: entry.kind, code: entry.code }, { kind: 'error', code: 'FW_ERR_PAGING_OUTBOX_FULL' });
  t.equal(entry.text, 'the notification outbox is full: first page for Alice Ng (page, step 0) not queued');
  t.equal(metrics.refused.get({ reason: 'full' }), 1);
});
