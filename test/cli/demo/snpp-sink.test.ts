/** The demo's SNPP sink against the brain's real SNPP client (brain/channels/snpp.ts). */
import t from 'tap';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendPage } from '../../../brain/channels/snpp.js';
import { startSnppSink } from '../../../cli/demo/snpp-sink.js';
import { scratchDir } from '../../helpers/floorwatch.js';

t.test('keeps what the brain pages, with the pager id and the text, in memory and in its file', async (t) => {
  const file = join(scratchDir(t), 'pages.jsonl');
  const sink = await startSnppSink({ host: '127.0.0.1', port: 0, file, now: () => 1_000 });
  t.teardown(() => sink.stop());
  const result = await sendPage(
    { host: '127.0.0.1', port: sink.port },
    { pagerId: 'alice', message: 'INC-0001 SEV2 feed handler fh-a exited' },
    AbortSignal.timeout(5000),
  );
  t.match(result, { status: 'sent' }, 'the client sees the page accepted');
  t.same(sink.pages.entries, [{ at: 1_000, pagerIds: ['alice'], message: 'INC-0001 SEV2 feed handler fh-a exited' }]);
  t.same(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    sink.pages.entries,
  );
});

t.test('answers RFC 1861 errors: SEND before PAGE/MESS, a pager id with a space, unknown commands', async (t) => {
  const sink = await startSnppSink({ host: '127.0.0.1', port: 0, file: join(scratchDir(t), 'pages.jsonl') });
  t.teardown(() => sink.stop());
  const socket = connect(sink.port, '127.0.0.1');
  const lines: string[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (c: string) => lines.push(...c.split('\r\n').filter(Boolean)));
  socket.write('SEND\r\nPAGE two words\r\nXYZZY\r\nQUIT\r\n');
  await new Promise((r) => socket.once('close', r));
  t.same(
    lines.map((l) => l.slice(0, 3)),
    ['220', '503', '550', '500', '221'],
  );
  t.same(sink.pages.entries, [], 'nothing kept');
});
