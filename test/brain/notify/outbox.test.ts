import t from 'tap';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { Outbox } from '../../../brain/notify/outbox.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../../helpers/snpp-hfaxd.js';
import { startSmtpSink } from '../../helpers/smtp-sink.js';
import { scratchDir } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';
import { sampleNotification } from './sample-notification.js';

const clock = new FakeClock();

t.test('an enqueued notification survives a reopen; a key seen before is refused', async (t) => {
  const file = join(scratchDir(t), 'outbox.jsonl');
  const a = Outbox.open({ file, clock });
  t.equal(a.enqueue(sampleNotification()).status, 'enqueued');
  t.match(a.enqueue(sampleNotification()), { status: 'duplicate', state: 'pending' });
  t.equal(a.enqueue(sampleNotification({ escalationStep: 1 })).status, 'enqueued', 'another step is another key');
  a.markSent('INC-42/0/page/alice', 'snpp');
  a.close();
  const b = Outbox.open({ file, clock });
  t.same(
    b.pending().map((e) => e.key),
    ['INC-42/1/page/alice'],
  );
  t.same(b.pending()[0]?.notification, sampleNotification({ escalationStep: 1 }), 'the notification comes back whole');
  t.match(b.enqueue(sampleNotification()), { status: 'duplicate', state: 'sent' });
  b.close();
});

t.test('a torn last line (crash mid-write) is cut off, not counted as data, and appends resume cleanly', async (t) => {
  const file = join(scratchDir(t), 'outbox.jsonl');
  const a = Outbox.open({ file, clock });
  a.enqueue(sampleNotification());
  a.close();
  appendFileSync(file, '{"t":"enq","k":"INC-9/0/page/al');
  const b = Outbox.open({ file, clock });
  t.equal(b.pending().length, 1);
  t.equal(b.corruptRecords, 0);
  b.enqueue(sampleNotification({ incidentId: 'INC-9' }));
  b.close();
  const c = Outbox.open({ file, clock });
  t.same(
    c.pending().map((e) => e.key),
    ['INC-42/0/page/alice', 'INC-9/0/page/alice'],
  );
  c.close();
});

t.test('a full outbox refuses and counts the drop; compaction keeps pending entries and dedup memory', async (t) => {
  const file = join(scratchDir(t), 'outbox.jsonl');
  const a = Outbox.open({ file, clock, maxPending: 3, compactSlack: 10, maxDoneKeys: 50 });
  for (let i = 0; i < 3; i++) t.equal(a.enqueue(sampleNotification({ escalationStep: i })).status, 'enqueued');
  t.match(a.enqueue(sampleNotification({ escalationStep: 3 })), { status: 'dropped', reason: 'full' });
  t.equal(a.dropped, 1);
  for (let i = 0; i < 3; i++) a.markSent(`INC-42/${i}/page/alice`, 'snpp');
  for (let i = 10; i < 70; i++) {
    a.enqueue(sampleNotification({ escalationStep: i }));
    a.markSent(`INC-42/${i}/page/alice`, 'email');
  }
  a.enqueue(sampleNotification({ incidentId: 'INC-43' }));
  t.ok(a.forgottenKeys > 0, `${a.forgottenKeys} old keys forgotten, counted`);
  a.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n').length;
  t.ok(lines <= 50 + 1 + 10 + 2, `compacted to ${lines} lines (${statSync(file).size} bytes)`);
  const b = Outbox.open({ file, clock });
  t.same(
    b.pending().map((e) => e.key),
    ['INC-43/0/page/alice'],
  );
  t.match(b.enqueue(sampleNotification({ escalationStep: 69 })), { status: 'duplicate', state: 'sent' });
  b.close();
});

const available = await hfaxdAvailable();
if (!available.ok) t.skip(`hfaxd: ${available.reason}`, () => {});
else
  t.test('a brain SIGKILLed between "enqueued" and "sent" pages exactly once after the restart', async (t) => {
    const gateway = await startHfaxdSnpp();
    t.teardown(() => gateway.stop());
    const sink = await startSmtpSink();
    t.teardown(() => sink.stop());
    const file = join(scratchDir(t), 'outbox.jsonl');
    const run = (mode: string) => child(mode, file, gateway.port, sink.port);

    const crashing = run('enqueue');
    t.teardown(() => crashing.kill());
    t.match(await crashing.line(), { event: 'enqueued', status: 'enqueued' });
    t.equal(gateway.connections, 0, 'nothing reached the gateway before the kill');
    t.equal((await crashing.kill()).signal, 'SIGKILL');

    const restarted = run('replay');
    const replay = await restarted.line();
    t.match(replay, { event: 'replayed', replayed: 1 });
    t.match(replay.timeline, [
      { type: 'attempt', channel: 'snpp', outcome: 'sent' },
      { type: 'delivered', channel: 'snpp' },
    ]);
    await restarted.exited;
    const pages = gateway.pages();
    t.equal(pages.length, 1, 'hfaxd queued one page');
    t.match(pages[0]?.text, /^INC-7 SEV2 ticker plant B stale @ldn-1/);

    const again = run('replay');
    t.match(await again.line(), { event: 'replayed', replayed: 0, timeline: [] });
    await again.exited;
    t.equal(gateway.pages().length, 1, 'a second restart sends nothing');
    t.equal(sink.mails.length, 0);
  });

function child(mode: string, file: string, snppPort: number, smtpPort: number) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'outbox-child.ts'), mode, file, String(snppPort), String(smtpPort)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  return {
    exited,
    line: () =>
      waitFor(`a line from the ${mode} child`, () => lines[0], { timeoutMs: 20_000 }) as Promise<
        Record<string, unknown> & { timeline?: unknown }
      >,
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
}
