/**
 * The BOD "not ready: X, Y" notice (from the real readiness check on the packaged calendar) and
 * the EOD summary, on a fake clock through the whole paging composition, read back from a real
 * SMTP server; a restart after EOD mails nothing twice, and the next day's summary carries the
 * incident still open.
 */
import t from 'tap';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { BodReadiness, publishTo } from '../../../brain/calendar/readiness.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { FakeClock } from '../../../lib/clock.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { startSmtpSink, type ReceivedMail } from '../../helpers/smtp-sink.js';
import { waitFor } from '../../helpers/wait.js';
import { enqueuedKeys, newIncident, outboxSettled, startPagingRig } from './paging-fixtures.js';

const calendar = loadCalendarFile(new URL('../../../rules/calendar/trading-day.yaml', import.meta.url).pathname).calendar;
const at = (hhmm: string, day = 23) => Date.UTC(2026, 10, day, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3))); // London is on GMT in November
const kind = (m: ReceivedMail) => String(m.parsed.headers.get('x-floorwatch-kind'));

t.test('BOD readiness and EOD summary mails to the day list', async (t) => {
  const dir = scratchDir(t);
  const smtp = await startSmtpSink();
  t.teardown(() => smtp.stop());
  const clock = new FakeClock(at('06:00'));
  const events = new EventLog({ clock });
  const readiness = new BodReadiness({
    clock,
    calendar,
    market: 'LDN',
    isUp: (c) => c === 'fh-a' || c === 'tp-a',
    publish: publishTo(events, clock),
  });
  readiness.start();
  t.teardown(() => readiness.stop());
  const { incidents, stop, start } = startPagingRig(
    t,
    dir,
    `
  market: LDN
  console_url: http://wallboard.floor:7080
  escalation: {steps: [{tier: first-line, after_s: 0}], repeat_every_s: 3600, max_repeats: 0}
  email: {host: 127.0.0.1, port: ${smtp.port}, from: floorwatch@floor.example, ignore_tls: true}
  day_notices:
    to: [{id: ops, name: Plant ops, email: plant-ops@floor.example}, {id: head, name: Head of desk, email: head@floor.example}]
`,
    { clock, events, calendar },
  );
  const mailsOf = (k: string, n: number) =>
    waitFor(`${n} ${k} mails`, () =>
      smtp.mails.filter((m) => kind(m) === k).length >= n ? smtp.mails.filter((m) => kind(m) === k) : undefined,
    );

  clock.advance(at('07:45') - clock.now());
  const bod = await mailsOf('bod', 2);
  t.same(bod.map((m) => m.envelopeTo.join()).sort(), ['head@floor.example', 'plant-ops@floor.example'], 'to the day list');
  t.equal(bod[0]!.parsed.subject, '[SEV2][BOD-LDN-2026-11-23] BOD not ready: fh-b, tp-b — LDN 07:45Z');
  t.match(bod[0]!.parsed.text, /not up at the deadline: fh-b\n\s+not up at the deadline: tp-b/);

  clock.advance(at('08:10') - clock.now());
  const first = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
  clock.advance(0);
  await mailsOf('page', 1);
  clock.advance(5 * 60_000);
  incidents.ack(first.id, 'alice');
  clock.advance(at('09:00') - clock.now());
  incidents.resolve(first.id, 'restarted');
  await mailsOf('resolve', 1);
  clock.advance(at('15:00') - clock.now());
  incidents.open(newIncident('critical', 'ticker plant tp-a down', 'tp-host-a'));
  clock.advance(0);
  await mailsOf('page', 2);

  clock.advance(at('16:30') - clock.now());
  const eod = await mailsOf('eod', 2);
  t.equal(eod[0]!.parsed.subject, '[SEV2][EOD-LDN-2026-11-23] EOD 2 incidents, 1 still open — LDN 16:30Z');
  const text = eod[0]!.parsed.text ?? '';
  t.match(text, /opened 2, acknowledged 1, resolved 1, still open 1, pages sent 2/);
  t.match(
    text,
    /INC-0001 major "feed handler fh-a exited \(signal 9\)" opened 2026-11-23 08:10:00Z, acknowledged after 5 min by alice, resolved after 50 min, pages sent 1/,
  );
  t.match(text, /INC-0002 critical "ticker plant tp-a down" opened 2026-11-23 15:00:00Z, open for 1 h 30 min, pages sent 1/);
  t.match(eod[0]!.parsed.html, /<h3>Details<\/h3>/, 'the HTML part too');

  // A restart after EOD sends neither notice again; tomorrow's summary still lists the open incident.
  await outboxSettled(dir);
  await stop();
  clock.advance(60_000);
  start();
  t.same(enqueuedKeys(dir).filter((k) => /^(BOD|EOD)/.test(k)).length, 4, 'nothing re-sent by the restart');
  clock.advance(at('16:30', 24) - clock.now());
  const next = await mailsOf('eod', 4);
  t.match(next[2]!.parsed.subject, /^\[SEV2\]\[EOD-LDN-2026-11-24\] EOD 1 incident, 1 still open/);
  t.match(next[2]!.parsed.text, /INC-0002 critical .* open for 25 h 30 min, pages sent 1/);
  t.equal(smtp.mails.filter((m) => kind(m) === 'bod').length, 4, "tuesday's BOD notice went out at its own deadline");
});
