import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fire, floor, L } from '../correlate/replay.js';

t.test('a kill -9 of the brain mid-incident keeps the incident, its timeline and its ack, and opens no duplicate', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'fw-brain-kill-')), 'incidents.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'brain-child.ts'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ id: string; timeline: number }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (line) resolve(JSON.parse(line) as { id: string; timeline: number });
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');

  const after = floor({}, file);
  const inc = after.store.get(ready.id)!;
  t.equal(inc.status, 'acknowledged');
  t.equal(inc.ackedBy, 'night-oncall');
  t.equal(inc.timeline.length, ready.timeline);
  t.equal(inc.timeline.at(-1)?.text, 'page sent to night-oncall (SNPP)');
  t.equal(inc.title, 'feed handler fh-a exited (signal 9)');
  // The restarted rules engine re-fires the same alerts: they join the open incident.
  after.replay([
    fire(1_000, 'ProcessExited', L.proc('fh-host-a', 'fh-a')),
    fire(1_300, 'PlantHeartbeatLost', L.plant('fh-a', 'feed_handler', 'fh')),
  ]);
  t.same(
    after.store.list().map((i) => i.id),
    [ready.id],
  );
});
