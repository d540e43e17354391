/**
 * An `info` alert is context, never an incident of its own (#19): a disk write burst on a
 * shared host (other work writing) opens nothing and pages nobody; beside a real problem on its
 * host it joins that incident as a symptom, whether the problem came first or after.
 */
import t from 'tap';
import { clear, fire, floor, killed, L } from './replay.js';

const burst = { agent: 'fh-host-a', host: 'fh-host-a', device: 'vda' };

t.test('a disk write burst alone opens no incident, and its end is not an ignored resolve', async (t) => {
  const f = floor();
  f.replay([fire(0, 'DiskWriteBurst', burst, 'info'), clear(30_000, 'DiskWriteBurst', burst)]);
  t.same(
    f.store.list().map((i) => i.title),
    [],
    'no incident',
  );
  t.equal(f.corr.ignored, 0);
});

t.test('a burst on a host with an incident joins it as a symptom; severity stays the root cause', async (t) => {
  const f = floor();
  f.replay([
    killed(0, 'fh-host-a', 'fh-a'),
    fire(1, 'ProcessExited', L.proc('fh-host-a', 'fh-a')),
    fire(500, 'DiskWriteBurst', burst, 'info'),
  ]);
  const [inc, ...more] = f.store.list();
  t.equal(more.length, 0, 'one incident');
  t.same(
    inc!.symptoms.map((s) => s.alertname),
    ['DiskWriteBurst'],
  );
  t.equal(inc!.severity, 'major');
});

t.test('a burst still firing when an incident opens on its host joins it; one on another host does not', async (t) => {
  const f = floor();
  const other = { ...burst, agent: 'fh-host-b', host: 'fh-host-b' };
  f.replay([
    fire(0, 'DiskWriteBurst', burst, 'info'),
    fire(0, 'DiskWriteBurst', other, 'info'),
    killed(5_000, 'fh-host-a', 'fh-a'),
    fire(5_001, 'ProcessExited', L.proc('fh-host-a', 'fh-a')),
  ]);
  const incidents = f.store.list();
  t.equal(incidents.length, 1, 'only the exit opened one');
  t.same(
    incidents[0]!.symptoms.map((s) => s.labels['host']),
    ['fh-host-a'],
  );
  f.replay([clear(6_000, 'DiskWriteBurst', other)]);
  t.equal(f.corr.ignored, 0, "the other host's burst ended as context");
});
