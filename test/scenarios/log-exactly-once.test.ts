/**
 * Every log line reaches the brain exactly once although the agent is SIGKILLed twice while a
 * writer appends: the log offsets are saved only once the lines they cover are in the agent's
 * disk queue, and the queue is replayed at least once and deduplicated by batch seq.
 * Real agent processes, a real brain, real files.
 */
import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { floorwatch, scratchDir, writeYaml, type FloorwatchProcess } from '../helpers/floorwatch.js';
import { waitFor } from '../helpers/wait.js';

const LINES = 3000;

t.test('log lines arrive exactly once across two agent SIGKILLs', async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n`), silentLogger);
  t.teardown(() => brain.stop());
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const config = writeYaml(
    dir,
    'agent.yaml',
    `agent: {id: ws-log, state_dir: ${dir}/agent}
brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}
flush_ms: 200
samplers:
  log:
    files: ["${log}"]
    rules: [{name: seq, action: event, maxEventsPerSec: 100000, pattern: "seq=(?P<seq>\\\\d+)"}]
`,
  );
  let agent: FloorwatchProcess = floorwatch(['agent', '--config', config]);
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');

  const seen = () => brain.events.recent({ kind: 'log.match', limit: 100_000 }).map((e) => Number(e.attrs['seq']));
  let written = 0;
  const writeSome = (n: number) => {
    let text = '';
    for (let i = 0; i < n; i++) text += `2026-11-23 08:00:00 [INFO] order ack seq=${++written}\n`;
    appendFileSync(log, text);
  };
  const writer = setInterval(() => written < LINES && writeSome(10), 5);
  t.teardown(() => clearInterval(writer));

  for (const killAt of [LINES / 3, (2 * LINES) / 3]) {
    await waitFor(`the brain to hold ${killAt} lines`, () => seen().length >= killAt, { timeoutMs: 30_000 });
    await agent.kill('SIGKILL');
    agent = floorwatch(['agent', '--config', config]);
    await agent.line((l) => l['ready'] === 'agent');
  }
  await waitFor('the writer to finish', () => written >= LINES, { timeoutMs: 30_000 });
  await waitFor(`all ${LINES} lines at the brain`, () => seen().length >= LINES, { timeoutMs: 30_000 });
  await agent.kill('SIGTERM');
  const seqs = seen();
  const unique = new Set(seqs);
  t.equal(unique.size, LINES, 'every line arrived');
  t.equal(seqs.length, LINES, 'no line arrived twice');
  t.ok([...unique].every((s) => s >= 1 && s <= LINES), 'nothing else arrived');
});
