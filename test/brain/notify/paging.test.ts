/**
 * Routing inside the paging composition: the route chosen at the incident's opening (phase from
 * the real calendar) decides the channels, the choice is in the timeline, and the pages reach a
 * real hfaxd and a real SMTP server.
 */
import t from 'tap';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { FakeClock } from '../../../lib/clock.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../../helpers/snpp-hfaxd.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { waitFor } from '../../helpers/wait.js';
import { enqueuedKeys, newIncident, startPagingRig } from './paging-fixtures.js';

const calendar = loadCalendarFile(new URL('../../../rules/calendar/trading-day.yaml', import.meta.url).pathname).calendar;
const available = await hfaxdAvailable();

t.test(
  'a low-urgency route mails, the default route pages; the timeline names the route',
  { skip: !available.ok && `hfaxd: ${available.ok ? '' : available.reason}` },
  async (t) => {
    const dir = scratchDir(t);
    const snpp = await startHfaxdSnpp();
    t.teardown(() => snpp.stop());
    const smtp = await startSmtpSink();
    t.teardown(() => smtp.stop());
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 0)); // Monday 10:00 London: intraday
    const { incidents } = startPagingRig(
      t,
      dir,
      `
  escalation: {steps: [{tier: first-line, after_s: 0}, {tier: back-line, after_s: 600}], repeat_every_s: 600, max_repeats: 2}
  snpp: {host: 127.0.0.1, port: ${snpp.port}, login: floorwatch}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  routes:
    - name: minor-while-trading
      match: {severity: [minor], phase: [intraday]}
      urgency: low
`,
      { clock, calendar },
    );

    const minor = incidents.open(newIncident('minor', 'log errors on fx-ws-01', 'fx-ws-01'));
    const major = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
    clock.advance(0);
    await waitFor('the mail and the page', () => smtp.mails.length >= 1 && snpp.pages().length >= 1);
    t.same(
      smtp.mails.map((m) => m.parsed.headers.get('x-floorwatch-incident')),
      [minor.id],
      'the minor incident by mail',
    );
    t.same(
      snpp.pages().map((p) => /fh-a/.test(p.text)),
      [true],
      'the major one on the pager',
    );
    const routed = (id: string) => incidents.get(id)!.timeline.find((e) => e.text.startsWith('routed: '))?.text;
    t.equal(routed(minor.id), 'routed: minor-while-trading (phase intraday; email)');
    t.equal(routed(major.id), 'routed: default (phase intraday; snpp → email)');
    clock.advance(30 * 60_000);
    t.same(
      enqueuedKeys(dir).filter((k) => k.startsWith(`${minor.id}/`)),
      [`${minor.id}/0/page/alice`],
      'low urgency: no escalation, no reminders',
    );
    t.ok(enqueuedKeys(dir).filter((k) => k.startsWith(`${major.id}/`)).length > 1, 'high urgency keeps escalating');
  },
);
