// After a brain restart the journal holds incidents whose alerts were firing. One that fires
// again joins its incident; one that does not within the confirm window ended while the brain
// was down, and resolves with that reason instead of keeping the incident (and its pages) open.
import t from 'tap';
import { clear, fire, floor, killed, L } from './replay.js';

// lateMs 0: the restarted process's late heartbeat loss (its own window) is late-symptoms.test.ts's.

const fhA = L.proc('fh-host-a', 'fh-a');

t.test('an alert not firing again within the confirm window after a restart resolves, and says why', async (t) => {
  const before = floor({ restartConfirmMs: 10_000, lateMs: 0 });
  before.replay([killed(0, 'fh-host-a', 'fh-a'), fire(1, 'ProcessExited', fhA)]);
  const id = before.store.list()[0]!.id;
  const after = before.restart();
  t.same(
    after.corr.restoredFiring().map((a) => [a.alertname, a.labels['process']]),
    [['ProcessExited', 'fh-a']],
    'handed to the rules engine',
  );
  after.clock.advance(9_999);
  t.equal(after.store.get(id)!.status, 'open', 'open until the window ends');
  after.clock.advance(1);
  const inc = after.store.get(id)!;
  t.equal(inc.status, 'resolved');
  t.match(
    inc.timeline.map((e) => e.text).join('\n'),
    /feed handler fh-a exited \(signal 9\): resolved: not firing again within 10 s of the brain restart/,
  );
  after.corr.stop();
});

t.test('an alert firing again after a restart keeps its incident open past the window, until it resolves', async (t) => {
  const before = floor({ restartConfirmMs: 10_000, lateMs: 0 });
  before.replay([killed(0, 'fh-host-a', 'fh-a'), fire(1, 'ProcessExited', fhA)]);
  const id = before.store.list()[0]!.id;
  const after = before.restart();
  after.replay([fire(2_000, 'ProcessExited', fhA)]);
  after.clock.advance(60_000);
  t.equal(after.store.get(id)!.status, 'open', 'confirmed: still open');
  t.equal(after.store.list({ status: 'active' }).length, 1, 'no duplicate opened');
  after.replay([clear(70_000, 'ProcessExited', fhA)]);
  t.equal(after.store.get(id)!.status, 'resolved');
  after.corr.stop();
});
