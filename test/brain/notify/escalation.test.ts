import t from 'tap';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { loadSchedule } from '../../../brain/oncall/schedule-config.js';
import { whoIsOnCall } from '../../../brain/oncall/schedule.js';
import { Escalator, escalationPlan, type EscalationPolicy, type PageReason } from '../../../brain/notify/escalation.js';
import type { Notification } from '../../../brain/channels/notification.js';
import { sampleNotification } from './sample-notification.js';

const schedule = loadSchedule(join(import.meta.dirname, '../oncall/follow-the-sun.yaml'));
const MIN = 60_000;
const policy: EscalationPolicy = {
  steps: [
    { tier: 'first-line', afterMs: 0 },
    { tier: 'back-line', afterMs: 10 * MIN },
    { tier: 'support-manager', afterMs: 20 * MIN },
  ],
  repeatEveryMs: 15 * MIN,
  maxRepeats: 2,
};

function harness(startIso: string) {
  const clock = new FakeClock(Date.parse(startIso));
  const sent: { n: Notification; reason: PageReason | 'resolved'; at: number }[] = [];
  const nobody: string[] = [];
  const escalator = new Escalator({
    policy,
    clock,
    onCall: (tier, at) => whoIsOnCall(schedule, tier, at),
    deliver: (n, reason) => sent.push({ n, reason, at: clock.now() }),
    onNobodyOnCall: (id, step, tier) => nobody.push(`${id}/${step}/${tier}`),
  });
  const summary = () => {
    const { recipient: _r, escalationStep: _s, kind: _k, ...rest } = sampleNotification({ when: clock.now() });
    return rest;
  };
  const brief = () =>
    sent.map((s) => `${(s.at - Date.parse(startIso)) / MIN}m ${s.n.kind} ${s.n.escalationStep} ${s.n.recipient.id} ${s.reason}`);
  return { clock, sent, nobody, escalator, summary, brief };
}

t.test('the plan is a pure function of the policy and the opening time', async (t) => {
  const plan = escalationPlan(policy, 0, 80 * MIN).map((p) => `${p.dueAt / MIN}:${p.step}:${p.reason}:${p.tiers.join('+')}`);
  t.same(plan, [
    '0:0:firstPage:first-line',
    '10:1:escalation:back-line',
    '20:2:escalation:support-manager',
    '35:3:repeatElapsed:first-line+back-line+support-manager',
    '50:4:repeatElapsed:first-line+back-line+support-manager',
  ]);
});

t.test('unacknowledged, the page climbs first line → back line → manager, then reminds; ack stops it', async (t) => {
  // Mon 2 March 2026, 12:30Z: London (alice), New York (nina) and Singapore (sam) are all on first line.
  const h = harness('2026-03-02T12:30:00Z');
  h.escalator.open(h.summary());
  t.same(h.brief(), ['0m page 0 alice firstPage', '0m page 0 nina firstPage', '0m page 0 sam firstPage']);
  h.clock.advance(10 * MIN - 1);
  t.equal(h.sent.length, 3, 'nothing before the timeout');
  h.clock.advance(1);
  t.same(h.brief().slice(3), ['10m page 1 dev escalation'], 'back line at exactly 10 minutes');
  h.clock.advance(10 * MIN);
  t.same(h.brief().slice(4), ['20m page 2 mgr escalation'], 'the manager at 20 minutes');
  h.clock.advance(15 * MIN);
  t.same(
    h
      .brief()
      .slice(5)
      .map((s) => s.split(' ').slice(2).join(' ')),
    ['3 alice repeatElapsed', '3 nina repeatElapsed', '3 sam repeatElapsed', '3 dev repeatElapsed', '3 mgr repeatElapsed'],
  );
  h.escalator.ack('INC-42');
  h.clock.advance(120 * MIN);
  t.equal(h.sent.length, 10, 'ack stopped every further page');
  t.equal(h.escalator.escalating, 0);
  h.escalator.resolve('INC-42');
  h.escalator.resolve('INC-42');
  t.same(
    h
      .brief()
      .slice(10)
      .map((s) => s.split(' ').slice(1).join(' ')),
    ['resolve 0 alice resolved', 'resolve 0 nina resolved', 'resolve 0 sam resolved', 'resolve 0 dev resolved', 'resolve 0 mgr resolved'],
    'one resolve notice to everyone paged, once',
  );
});

t.test('an ack within the timeout means back line is never paged', async (t) => {
  const h = harness('2026-03-09T08:00:00Z');
  h.escalator.open(h.summary());
  h.clock.advance(9 * MIN);
  h.escalator.ack('INC-42');
  h.clock.advance(60 * MIN);
  t.same(h.brief(), ['0m page 0 bob firstPage'], 'week two of the London rota: bob, and only bob');
  t.same(h.nobody, []);
});

t.test('a tier with nobody on call is reported, and the escalation carries on to the next', async (t) => {
  const h = harness('2026-03-07T12:00:00Z'); // Saturday: no first line anywhere
  h.escalator.open(h.summary());
  t.same(h.nobody, ['INC-42/0/first-line']);
  h.clock.advance(10 * MIN);
  t.same(h.brief(), ['10m page 1 dev escalation']);
});

t.test(
  'reopened after a restart, everything due is emitted again (the outbox drops what was sent) and missed reminders collapse',
  async (t) => {
    const h = harness('2026-03-02T17:00:00Z');
    const opened = h.summary();
    h.clock.advance(52 * MIN); // the brain was down: steps 0, 1, 2 and reminders at 35 and 50 minutes were due
    h.escalator.open(opened, opened.when);
    t.same(
      h.brief().map((s) => s.split(' ').slice(2, 4).join(' ')),
      ['0 nina', '0 sam', '1 dev', '2 mgr', '4 nina', '4 sam', '4 dev', '4 mgr'],
      'the 35-minute reminder is folded into the 50-minute one',
    );
    h.clock.advance(60 * MIN);
    t.equal(h.sent.length, 8, 'maxRepeats reached: no more pages');
  },
);
