/** The annotation-ready points the brain writes for incidents, its own events and pages. */
import t from 'tap';
import { eventLine } from '../../../brain/history/event-points.js';
import { eventMessage } from '../../../brain/state/event-message.js';
import { incidentLines } from '../../../brain/history/incident-points.js';
import { pageLine } from '../../../brain/history/page-points.js';
import type { Incident } from '../../../brain/incidents/incident.js';
import type { Notification } from '../../../brain/channels/notification.js';
import type { BrainEvent } from '../../../brain/state/event-log.js';

const OPENED = 1_790_000_000_000;

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-0007',
    status: 'open',
    severity: 'major',
    title: 'feed handler fh-a exited (signal 9)',
    causeKeys: ['process:plant-host/fh-a'],
    roots: [
      {
        key: 'k',
        alertname: 'ProcessExited',
        labels: {},
        text: 'fh-a exited (signal 9)',
        state: 'firing',
        severity: 'major',
        firedAt: OPENED,
      },
    ],
    symptoms: [],
    impact: { hosts: ['plant-host'], components: ['fh-a'], pairs: [] },
    openedAt: OPENED,
    timeline: [],
    timelineDropped: 0,
    ...over,
  };
}

t.test('an incident: one point per stage, each at its own instant, the same points every time', async (t) => {
  const open = incidentLines(incident());
  t.equal(open.length, 1);
  t.match(open[0], /^incidents,change=opened,severity=major /);
  t.match(open[0], /id="INC-0007",title="feed handler fh-a exited \(signal 9\)",root_cause="fh-a exited \(signal 9\)"/);
  t.match(open[0], / 1790000000000007$/, 'opened at its ms, the incident number as µs');
  const done = incidentLines(incident({ status: 'resolved', ackedAt: OPENED + 4500, ackedBy: 'alice', resolvedAt: OPENED + 60_000 }));
  t.equal(done.length, 3);
  t.equal(done[0], open[0], 'the opening point is unchanged by later stages (rewritten, stored once)');
  t.match(done[1], /^incidents,change=acknowledged,severity=major .*by="alice".*ack_s=4\.5.* 1790000004500007$/);
  t.match(done[2], /^incidents,change=resolved,severity=major .*open_s=60 1790000060000007$/);
});

const event = (over: Partial<BrainEvent>): BrainEvent => ({
  id: 1,
  timeUs: 5,
  receivedUs: 5,
  kind: 'x',
  source: 'brain',
  agentId: '',
  tags: {},
  attrs: {},
  values: {},
  severity: 0,
  ...over,
});

t.test("the brain's events: a message for the annotation, severity a float", async (t) => {
  const failover = event({
    kind: 'plant.role_change',
    tags: { component: 'tp-b', kind: 'ticker_plant', pair: 'tp' },
    attrs: { from: 'secondary', to: 'primary', role: 'primary', state: 'ok' },
    values: { failovers: 1 },
    severity: 3,
  });
  t.equal(eventMessage(failover), 'tp-b: secondary → primary in pair tp (fail-over)');
  t.equal(
    eventLine(failover, 17),
    'events,component=tp-b,component_kind=ticker_plant,kind=plant.role_change,pair=tp from="secondary",to="primary",role="primary",state="ok",failovers=1,message="tp-b: secondary → primary in pair tp (fail-over)",severity=3 17',
  );
  const silent = event({ kind: 'agent.silent', tags: { agent: 'ws-1', host: 'ws-1' }, values: { silent_ms: 3000 }, severity: 3 });
  t.equal(eventMessage(silent), 'agent.silent agent=ws-1 host=ws-1');
  const alert = event({
    kind: 'alert.firing',
    tags: { alertname: 'NicDown', rule: 'r' },
    attrs: { severity: 'major', summary: 'eth1 down' },
    severity: 3,
  });
  t.equal(eventMessage(alert), 'alert.firing alertname=NicDown: eth1 down');
  t.match(eventLine(alert, 1), /[ ,]severity=3[ ,]/, 'the numeric severity wins over the alert attribute');
});

t.test('pages: channel and outcome as tags', async (t) => {
  const n = { kind: 'page', escalationStep: 1, recipient: { id: 'bob', name: 'Bob' } } as unknown as Notification;
  t.equal(
    pageLine(
      {
        type: 'attempt',
        key: 'k',
        incidentId: 'INC-0001',
        channel: 'snpp',
        attempt: 2,
        at: 1,
        outcome: 'failed',
        reason: 'unreachable',
        detail: 'ECONNREFUSED',
      },
      n,
      9,
    ),
    'pages,channel=snpp,kind=page,outcome=failed,step=1 incident="INC-0001",recipient="bob",attempt=2,detail="ECONNREFUSED",reason="unreachable" 9',
  );
  t.match(
    pageLine({ type: 'fallback', key: 'k', incidentId: 'INC-0001', from: 'snpp', to: 'email', at: 1, why: 'down 60 s' }, n, 9),
    /^pages,channel=snpp,kind=page,outcome=fallback,step=1 /,
  );
});
