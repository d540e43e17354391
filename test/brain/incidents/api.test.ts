import t from 'tap';
import { IncidentApi, type IncidentError } from '../../../brain/incidents/api.js';
import { clear, fire, floor, killed, L } from '../correlate/replay.js';

const fhA = L.proc('fh-host-a', 'fh-a');

function setup() {
  const f = floor({ resolveGraceMs: 1_000 });
  f.replay([
    killed(0, 'fh-host-a', 'fh-a'),
    fire(1, 'ProcessExited', fhA),
    fire(300, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh')),
  ]);
  return {
    f,
    api: new IncidentApi({ store: f.store, clock: f.clock, resolveByHand: (id, by, reason) => f.corr.resolveByHand(id, by, reason) }),
  };
}

t.test('list, ack with a note, note and silence go into the incident and its timeline', async (t) => {
  const { f, api } = setup();
  const [row] = api.list({ status: 'active' });
  t.equal(row?.title, 'feed handler fh-a exited (signal 9)');
  t.equal(row?.symptoms, 1);
  api.ack(row!.id, 'dave', 'on it');
  api.note(row!.id, 'dave', 'restarted fh-a by hand');
  api.silence(row!.id, 'dave', 'restarting', f.clock.now() + 60_000);
  const inc = api.get(row!.id);
  t.equal(inc.status, 'acknowledged');
  t.same(
    inc.timeline.slice(-3).map((e) => [e.kind, e.by]),
    [
      ['ack', 'dave'],
      ['note', 'dave'],
      ['silence', 'dave'],
    ],
  );
  t.match(api.list()[0]?.pagesSuppressed, /silenced by dave/);
  t.match(api.report(row!.id), /## Root cause\n\n- feed handler fh-a exited \(signal 9\)/);
});

t.test('the report on resolution gives cause, impact, duration and timeline', async (t) => {
  const { f, api } = setup();
  const id = api.list()[0]!.id;
  api.ack(id, 'erin');
  f.replay([clear(90_000, 'ProcessExited', fhA), clear(90_100, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh'))]);
  f.clock.advance(10_000); // the restarted feed handler's time to be heard again (correlation.late_ms)
  const inc = api.get(id);
  t.equal(inc.status, 'resolved');
  const report = api.report(id);
  t.match(report, /- Duration: 1m 40s/);
  t.match(report, /- Acknowledged: .* by erin/);
  t.match(report, /## Impact\n\n- Pair fh: 1 of 2 legs down/);
  t.match(report, /## Symptoms attached \(1\)\n\n- feed handler fh-a heartbeat lost/);
  t.match(report, /resolved: root cause and every symptom resolved/);
});

t.test('unknown ids, changes to a resolved incident and empty fields are errors with codes', async (t) => {
  const { f, api } = setup();
  const id = api.list()[0]!.id;
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'no error';
    } catch (err) {
      return (err as IncidentError).code;
    }
  };
  t.equal(
    code(() => api.get('INC-9999')),
    'FW_ERR_INCIDENT_NOT_FOUND',
  );
  t.equal(
    code(() => api.ack(id, '')),
    'FW_ERR_INCIDENT_BAD_REQUEST',
  );
  t.equal(
    code(() => api.silence(id, 'x', 'y', f.clock.now() - 1)),
    'FW_ERR_INCIDENT_BAD_REQUEST',
  );
  f.replay([clear(1_000, 'ProcessExited', fhA)]);
  f.clock.advance(1_000);
  t.equal(api.get(id).status, 'resolved', 'resolved after the grace although the heartbeat alert is still firing');
  t.match(
    api.list({ status: 'active' })[0],
    { title: 'feed handler fh-a heartbeat lost' },
    'which, still lost after its process came back, is an incident of its own',
  );
  t.equal(
    code(() => api.ack(id, 'x')),
    'FW_ERR_INCIDENT_RESOLVED',
  );
  t.equal(
    code(() => api.note(id, 'x', 'post-mortem booked')),
    'no error',
    'notes are still allowed on a resolved incident',
  );
});

t.test('listing by an unknown status or a bad limit is refused with the reason; all lists resolved ones too', async (t) => {
  const { f, api } = setup();
  const id = api.list()[0]!.id;
  f.replay([clear(90_000, 'ProcessExited', fhA), clear(90_100, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh'))]);
  f.clock.advance(10_000); // correlation.late_ms
  t.same(api.list(), []);
  t.same(
    api.list({ status: 'all' }).map((i) => i.id),
    [id],
  );
  t.throws(() => api.list({ status: 'closed' }), {
    code: 'FW_ERR_INCIDENT_BAD_REQUEST',
    message: /status must be one of active, all, open, acknowledged, resolved \(got "closed"\)/,
  });
  t.throws(() => api.list({ limit: Number('ten') }), { code: 'FW_ERR_INCIDENT_BAD_REQUEST', message: /limit must be a positive integer/ });
});

t.test('an operator resolves by hand: named in the timeline; the alert firing again opens a new incident', async (t) => {
  const { f, api } = setup();
  const id = api.list()[0]!.id;
  const closed = api.resolve(id, 'dave', 'fh-a replaced, vendor confirmed');
  t.equal(closed.status, 'resolved');
  t.match(closed.timeline.at(-1), { kind: 'resolved', by: 'dave', text: 'resolved: by hand: fh-a replaced, vendor confirmed' });
  t.match(closed.report, /resolved \(dave\): resolved: by hand/);
  f.replay([clear(400, 'ProcessExited', fhA), killed(500, 'fh-host-a', 'fh-a'), fire(501, 'ProcessExited', fhA)]);
  const again = api.list({ status: 'active' });
  t.equal(again.length, 1, 'a new incident for the new death');
  t.not(again[0]!.id, id);
  t.throws(() => api.resolve(id, 'dave', 'again'), { code: 'FW_ERR_INCIDENT_RESOLVED' });
});
