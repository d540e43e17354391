/**
 * The incident journal on a full or failing disk (issue #13 item 7): incidents go on in memory
 * (listeners, so paging, still hear every change), nothing throws, and the file catches up by a
 * rewrite from memory once the disk works, never by re-fsyncing the fd that failed.
 */
import t from 'tap';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { DiskHealth } from '../../../lib/disk-health.js';
import { IncidentStore } from '../../../brain/incidents/incident-store.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { FaultyFs, faults } from '../../helpers/faulty-fs.js';
import { waitFor } from '../../helpers/wait.js';

const newIncident = (title: string) => ({
  severity: 'major' as const,
  title,
  causeKeys: [title],
  roots: [],
  symptoms: [],
  impact: { hosts: [], components: [], pairs: [] },
});

function setup(t: Parameters<typeof scratchDir>[0]) {
  const file = join(scratchDir(t), 'state', 'incidents.jsonl');
  const clock = new FakeClock();
  const faulty = new FaultyFs();
  const health = new DiskHealth('journal', clock);
  const store = new IncidentStore({ file, clock, health, fs: faulty.fs });
  const heard: string[] = [];
  store.subscribe((inc, change) => heard.push(`${inc.id} ${change}`));
  return { file, clock, faulty, health, store, heard };
}

const titlesOnDisk = (file: string) =>
  new IncidentStore({ file, clock: new FakeClock() }).list().map((i) => `${i.id} ${i.title} ${i.status}`);

t.test('ENOSPC: changes go on in memory and are heard, then the file is rewritten from memory', async (t) => {
  const { file, clock, faulty, health, store, heard } = setup(t);
  const a = store.open(newIncident('NIC eth0 down on ws-1'));
  faulty.fail(faults.diskFull);
  const b = store.open(newIncident('state disk full on brain-1'));
  store.ack(a.id, 'alice', 'looking');
  t.ok(health.failing, 'the journal reports the full disk');
  t.equal(health.fault?.code, 'ENOSPC');
  t.same(heard, [`${a.id} opened`, `${b.id} opened`, `${a.id} updated`], 'every change reached the listeners (paging) at once');
  t.same(titlesOnDisk(file), [`${a.id} NIC eth0 down on ws-1 open`], 'the file lacks what came after the failure');
  clock.advance(60_000);
  t.ok(health.failing, 'still behind while the disk is full');
  faulty.heal();
  clock.advance(20_000);
  t.notOk(health.failing, 'caught up');
  t.same(
    titlesOnDisk(file).sort(),
    [`${a.id} NIC eth0 down on ws-1 acknowledged`, `${b.id} state disk full on brain-1 open`].sort(),
    'a restart now sees every change',
  );
  store.note(b.id, 'bob', 'freed space');
  t.match(readFileSync(file, 'utf8'), /freed space/, 'appends resume');
  t.equal(statSync(file).mode & 0o777, 0o600, 'the journal is 0600');
  t.equal(statSync(join(file, '..')).mode & 0o777, 0o700, 'its directory, created by the brain, 0700');
});

t.test('a failed fdatasync: the journal is rewritten from memory, not re-synced', async (t) => {
  const { file, clock, faulty, health, store } = setup(t);
  faulty.fail(faults.syncError);
  const a = store.open(newIncident('fh-a exited'));
  await waitFor('the fdatasync failure to be seen', () => health.failing);
  t.equal(health.fault?.code, 'EIO');
  faulty.heal();
  const before = faulty.synced.length;
  clock.advance(20_000);
  t.notOk(health.failing);
  const after = faulty.synced.slice(before);
  t.ok(
    after.some((s) => s.startsWith(`fsyncSync ${file}.tmp`)),
    `the rewrite's temp file is fsynced (${after})`,
  );
  t.notOk(
    after.some((s) => s.startsWith('fdatasync ')),
    'the fd whose fdatasync failed is never synced again',
  );
  t.same(titlesOnDisk(file), [`${a.id} fh-a exited open`]);
});

t.test('a torn tail that cannot be cut at start is not fatal: the rewrite leaves it out', async (t) => {
  const { file } = setup(t);
  appendFileSync(file, '{"v":1,"incident":{"id":"INC-0');
  const clock = new FakeClock();
  const faulty = new FaultyFs();
  faulty.fail((call) => (call === 'truncateSync' ? 'EIO' : undefined));
  const health = new DiskHealth('journal', clock);
  const store = new IncidentStore({ file, clock, health, fs: faulty.fs });
  t.equal(health.errors.get('EIO'), 1, 'the failed truncate is counted');
  t.notOk(health.failing, 'the compaction at start (a rename) already rewrote the file');
  t.notMatch(readFileSync(file, 'utf8'), /INC-0$/, 'the torn line is gone');
  store.close();
});
