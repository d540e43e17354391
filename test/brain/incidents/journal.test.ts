import t from 'tap';
import { appendFileSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { Journal } from '../../../brain/incidents/journal.js';
import { IncidentStore } from '../../../brain/incidents/incident-store.js';
import { fire, floor, killed, L } from '../correlate/replay.js';
import { waitFor } from '../../helpers/wait.js';

const fhA = L.proc('fh-host-a', 'fh-a');

t.test('after a brain kill the incidents, their timelines and acks are intact and a re-fired cause opens nothing new', async (t) => {
  const before = floor();
  before.replay([
    killed(0, 'fh-host-a', 'fh-a'),
    fire(1, 'ProcessExited', fhA),
    fire(300, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh')),
  ]);
  const id = before.store.list()[0]!.id;
  before.store.ack(id, 'bob', 'restarting fh-a');
  before.store.note(id, 'bob', 'vendor says a bad tick killed it');
  before.store.addTimeline(id, { kind: 'page', text: 'page sent to bob (SNPP)' });
  const snapshot = JSON.parse(JSON.stringify(before.store.list()));
  // SIGKILL: nothing is closed or flushed; the old objects are simply dropped.
  const after = before.restart();
  t.same(after.store.list(), snapshot, 'same incidents, timelines and ack');
  t.equal(after.store.get(id)!.status, 'acknowledged');
  t.equal(after.store.get(id)!.ackedBy, 'bob');
  // The restarted rules engine knows nothing and fires the same alerts again.
  after.replay([fire(2_000, 'ProcessExited', fhA), fire(2_300, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh'))]);
  t.equal(after.store.list().length, 1, 'no duplicate incident');
  // And a new symptom of the same cause still attaches to it after the restart.
  after.replay([fire(2_400, 'PlantFailover', L.plant('fh-b', 'feed_handler', 'fh'))]);
  t.same(
    after.store.get(id)!.symptoms.map((s) => s.alertname),
    ['PlantHeartbeatLost', 'PlantFailover'],
  );
  // A second restart: the journal was compacted to one line per incident and still replays.
  const again = after.restart();
  t.same(again.store.get(id)!.timeline, after.store.get(id)!.timeline);
  t.equal(readFileSync(again.file, 'utf8').trim().split('\n').length, 1);
});

t.test('a torn last line (killed mid-write) is cut on replay and the next append starts clean', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-journal-'));
  const file = join(dir, 'incidents.jsonl');
  const clock = new FakeClock();
  const store = new IncidentStore({ file, clock });
  const inc = store.open({
    severity: 'major',
    title: 'NIC eth1 down on tp-host-a',
    causeKeys: ['nic:tp-host-a/eth1'],
    roots: [],
    symptoms: [],
    impact: { hosts: [], components: [], pairs: [] },
  });
  appendFileSync(file, '{"v":1,"incident":{"id":"INC-0002","sta');
  const reopened = new IncidentStore({ file, clock });
  t.equal(reopened.recovered.tornBytes > 0, true);
  t.same(
    reopened.list().map((i) => i.id),
    [inc.id],
  );
  reopened.note(inc.id, 'carol', 'cable reseated');
  t.same(
    new IncidentStore({ file, clock }).get(inc.id)!.timeline.map((e) => e.kind),
    ['opened', 'note'],
  );
});

t.test('a corrupt line in the middle is skipped and counted, the rest replays', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'fw-journal-')), 'j.jsonl');
  writeFileSync(file, '{"a":1}\nnot json\n{"a":2}\n');
  const r = new Journal<{ a: number }>(file, { snapshot: () => [] }).replay();
  t.same(r.records, [{ a: 1 }, { a: 2 }]);
  t.equal(r.badLines, 1);
  t.equal(r.tornBytes, 0);
});

t.test('appends are written at once and synced to disk in groups, off the event loop', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-journal-'));
  const journal = new Journal<{ n: number }>(join(dir, 'j.jsonl'), { snapshot: () => [] });
  for (let n = 0; n < 1000; n++) journal.append({ n });
  t.equal(readFileSync(journal.file, 'utf8').trim().split('\n').length, 1000, 'every line is in the file when append returns');
  t.notOk(journal.synced, 'the fdatasync runs after');
  await waitFor('journal synced', () => journal.synced || undefined, { timeoutMs: 10_000 });
  journal.append({ n: 1000 });
  journal.close();
  t.same(
    new Journal<{ n: number }>(journal.file, { snapshot: () => [] }).replay().records.map((r) => r.n),
    Array.from({ length: 1001 }, (_, n) => n),
  );
});

t.test('resolved incidents beyond the limit are dropped oldest first, a tenth at a time, and stay dropped after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-evict-'));
  const file = join(dir, 'incidents.jsonl');
  const clock = new FakeClock();
  const open = (title: string) =>
    store.open({ severity: 'minor', title, causeKeys: [title], roots: [], symptoms: [], impact: { hosts: [], components: [], pairs: [] } });
  let store = new IncidentStore({ file, clock, maxResolved: 20 });
  const ids: string[] = [];
  for (let n = 0; n < 25; n++) {
    const inc = open(`cause ${n}`);
    ids.push(inc.id);
    clock.advance(1_000);
    store.resolve(inc.id, 'recovered');
  }
  const active = open('still open');
  const kept = () => store.list().map((i) => i.id);
  // The 21st resolve crosses the limit: down to 18 (a tenth below 20), 3 dropped; the 24th again; the 25th makes 19.
  t.same(
    kept()
      .filter((id) => id !== active.id)
      .sort(),
    ids.slice(-19).sort(),
    `the newest 19 resolved are kept: ${kept().join(' ')}`,
  );
  t.equal(store.droppedResolved, 6, 'six dropped, counted');
  t.ok(store.get(active.id), 'an open incident is never dropped');
  store.close();
  store = new IncidentStore({ file, clock, maxResolved: 20 });
  t.same(kept().sort(), [...ids.slice(-19), active.id].sort(), 'the journal holds what memory held');
  store.close();
});
