import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../../lib/clock.js';
import { FloorwatchError } from '../../../../lib/errors.js';
import { LogSampler } from '../../../../agent/samplers/log/log.js';
import { compileRules, runRules } from '../../../../agent/samplers/log/log-rule.js';
import { LineSplitter } from '../../../../agent/samplers/log/lines.js';
import { analysePattern } from '../../../../agent/samplers/log/literal.js';
import { waitFor } from '../../../helpers/wait.js';
import { deps, logConfig } from './config-helper.js';
import { RecordingEmit, tempDir } from './helpers.js';

/** Runs rules over text as one batch, the way the tailer hands lines on. */
function runText(rules: ReturnType<typeof compileRules>, text: string | Buffer, emit: RecordingEmit, backlog = false): void {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const split = new LineSplitter(1 << 20); // above the hostile line, so RE2 sees all of it
  split.split(buf, 0, buf.length, { skipping: false }, { longLines: 0, skippedBytes: 0 }, true);
  runRules(
    rules,
    { buf, starts: split.starts, ends: split.ends, count: split.count, file: '/var/log/fix.log', arrivalUs: 5, backlog },
    emit,
  );
}

function rules(section: unknown[]): ReturnType<typeof compileRules> {
  return compileRules(logConfig({ rules: section }).rules, { clock: new FakeClock(), eventLineBytes: 1024 });
}

t.test('a catastrophic-backtracking pattern on a hostile line completes', async (t) => {
  const r = rules([{ name: 'evil', action: 'count', pattern: '(a+)+$' }]);
  const emit = new RecordingEmit();
  runText(r, `${'a'.repeat(100_000)}!\naaa\n`, emit);
  r[0]!.report(emit);
  t.equal(emit.lastCounter('matches', { rule: 'evil' }), 1, 'only the second line matches, and the first one finished');
});

t.test('a backreference or lookaround is refused with an error naming the rule', async (t) => {
  for (const pattern of ['(a)\\1', 'a(?=b)']) {
    const err = t.throws(() => rules([{ name: 'needs-backtracking', action: 'count', pattern }])) as unknown;
    t.ok(err instanceof FloorwatchError && err.code === 'FW_ERR_CONFIG_INVALID', pattern);
    t.match((err as Error).message, /log rule "needs-backtracking": pattern: RE2 refuses/);
  }
  const dir = tempDir('bad');
  const cfg = logConfig({ files: [join(dir, 'x.log')], rules: [{ name: 'rt', action: 'roundtrip', request: '35=1', response: '(x)\\1' }] });
  t.throws(() => new LogSampler(cfg, deps(dir)), /log rule "rt": response: RE2 refuses/, 'the sampler refuses to start');
});

t.test('FIX TestRequest/Heartbeat pairs give the round-trip time from the lines own timestamps', async (t) => {
  const r = rules([
    {
      name: 'fix_rtt',
      action: 'roundtrip',
      request: '^(?P<ts>\\S+) .*\\|35=1\\|.*\\|112=(?P<id>[^|]+)\\|',
      response: '^(?P<ts>\\S+) .*\\|35=0\\|.*\\|112=(?P<id>[^|]+)\\|',
      timestamp: { capture: 'ts', format: 'fix' },
    },
  ]);
  const emit = new RecordingEmit();
  runText(
    r,
    [
      '20261123-08:00:00.000100 OUT 8=FIX.4.4|9=60|35=1|49=US|56=VENUE|112=TR1|10=001|',
      '20261123-08:00:00.000200 OUT 8=FIX.4.4|9=60|35=1|49=US|56=VENUE|112=TR2|10=002|',
      '20261123-08:00:00.002000 IN 8=FIX.4.4|9=70|35=D|49=VENUE|56=US|11=ORD1|10=003|',
      '20261123-08:00:00.003600 IN 8=FIX.4.4|9=60|35=0|49=VENUE|56=US|112=TR2|10=004|',
      '20261123-08:00:00.004100 IN 8=FIX.4.4|9=60|35=0|49=VENUE|56=US|112=TR1|10=005|',
      '20261123-08:00:01.000000 IN 8=FIX.4.4|9=60|35=0|49=VENUE|56=US|112=NOPE|10=006|',
      '20261123-08:00:01.000000 IN 8=FIX.4.4|9=60|35=0|49=VENUE|56=US|10=007|',
    ].join('\n'),
    emit,
  );
  t.same(emit.values('rtt_us'), [3400, 4000], 'TR2 answered after 3.4 ms, TR1 after 4.0 ms');
  r[0]!.report(emit);
  t.equal(emit.lastCounter('rtt_unmatched', { rule: 'fix_rtt' }), 1, 'a heartbeat for an unknown id is counted');
  t.equal(emit.lastCounter('rtt_pairs', { rule: 'fix_rtt' }), 2);
});

t.test('without a timestamp capture the round trip uses arrival time, pending ids are bounded and expire', async (t) => {
  const clock = new FakeClock();
  const r = compileRules(
    logConfig({
      rules: [
        {
          name: 'rt',
          action: 'roundtrip',
          request: '35=1\\|112=(?P<id>\\w+)',
          response: '35=0\\|112=(?P<id>\\w+)',
          maxPending: 2,
          timeoutMs: 1000,
        },
      ],
    }).rules,
    { clock, eventLineBytes: 1024 },
  );
  const emit = new RecordingEmit();
  runText(r, '35=1|112=A\n35=1|112=B\n35=1|112=C\n', emit); // A is evicted
  clock.advance(2000);
  runText(r, '35=1|112=D\n', emit);
  runText(r, '35=0|112=A\n35=0|112=B\n', emit); // A evicted, B expired
  runText(r, '35=0|112=D\n', emit);
  r[0]!.report(emit);
  t.equal(emit.values('rtt_us').length, 1, 'only D pairs');
  t.equal(emit.lastCounter('rtt_evicted', { rule: 'rt' }), 1);
  t.equal(emit.lastCounter('rtt_expired', { rule: 'rt' }), 2, 'B and C expired');
});

t.test('count, metric with tags and event rules turn captures into fields', async (t) => {
  const r = rules([
    { name: 'errors', action: 'count', pattern: '\\[(?P<level>ERROR|FATAL)\\] (?P<component>\\w+):', tags: ['level'] },
    { name: 'latency', action: 'metric', pattern: 'latency_us=(?P<latency_us>\\d+)' },
    { name: 'disconnect', action: 'event', pattern: 'session (?P<session>\\S+) disconnected', severity: 3 },
  ]);
  const emit = new RecordingEmit();
  runText(
    r,
    [
      '08:00:00 [ERROR] gateway: reject',
      '08:00:01 [INFO] gateway: latency_us=120 ok',
      '08:00:02 [FATAL] gateway: down',
      '08:00:02 [ERROR] pricer: stale',
      '08:00:03 [INFO] router: latency_us=95',
      '08:00:04 [WARN] session FIX.4.4:US->VENUE disconnected',
    ].join('\n'),
    emit,
  );
  for (const rule of r) rule.report(emit);
  t.equal(emit.lastCounter('matches', { rule: 'errors', level: 'ERROR' }), 2);
  t.equal(emit.lastCounter('matches', { rule: 'errors', level: 'FATAL' }), 1);
  t.same(emit.values('latency_us'), [120, 95]);
  t.equal(emit.events.length, 1);
  t.equal(emit.events[0]!.kind, 'log.match');
  t.equal(emit.events[0]!.input?.attrs?.['session'], 'FIX.4.4:US->VENUE');
  t.equal(emit.events[0]!.input?.severity, 3);
});

t.test('literal prefilters are extracted from patterns', async (t) => {
  t.same(analysePattern('\\[(?:ERROR|FATAL)\\]').literals, ['ERROR', 'FATAL']);
  t.same(analysePattern('latency_us=(?P<latency_us>\\d+)').literals, ['latency_us=']);
  t.same(analysePattern('\\|35=1\\|.*?\\|112=([^|]+)\\|').literals, ['|35=1|']);
  t.same(analysePattern('ERROR').pure, 'ERROR');
  t.equal(analysePattern('(?i)error').literals, null, 'case-insensitive: no byte prefilter');
  t.equal(analysePattern('a*b?').literals, null, 'nothing required');
  t.same(analysePattern('foo|bar').literals, ['foo', 'bar']);
});

t.test('long lines and binary garbage are cut without breaking the lines that follow', async (t) => {
  const dir = tempDir('garbage');
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const cfg = logConfig({
    files: [log],
    maxLineBytes: 1024,
    rules: [
      { name: 'seq', action: 'metric', pattern: '^seq=(?P<seq>\\d+);' },
      { name: 'any', action: 'event', pattern: 'GARBAGE(?P<rest>.*)', maxEventsPerSec: 100 },
    ],
  });
  const emit = new RecordingEmit();
  const sampler = new LogSampler(cfg, deps(join(dir, 'state')));
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256).filter((b) => b !== 10));
  appendFileSync(log, 'seq=1;\n');
  appendFileSync(log, `seq=2;${'x'.repeat(200_000)}\n`); // cut at 1 KiB, the rest skipped
  appendFileSync(log, Buffer.concat([Buffer.from('GARBAGE'), garbage, Buffer.from('\n')]));
  appendFileSync(log, Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]));
  appendFileSync(log, 'seq=3;\n');
  await waitFor('the line after the garbage', () => emit.values('seq').includes(3));
  t.same(emit.values('seq'), [1, 2, 3]);
  await sampler.sample(emit);
  t.equal(emit.lastCounter('long_lines', { file: log }), 2, 'the 200 KB line and the 5 KB garbage line were cut');
  t.ok((emit.lastCounter('skipped_bytes', { file: log }) ?? 0) > 200_000 - 1024, 'the cut bytes are counted');
  const ev = emit.events[0]!;
  t.ok(Buffer.byteLength(ev.input!.attrs!['line']!) <= 1024 * 3, 'the event line is capped (1 KiB of bytes)');
  t.same(emit.errors, []);
});

t.test('a count rule reports 0 for a tailed file before its first match, so the first burst is growth', async (t) => {
  const dir = tempDir('zero');
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const cfg = logConfig({
    files: [log],
    rules: [
      { name: 'errors', action: 'count', pattern: '\\[ERROR\\]' },
      { name: 'by_venue', action: 'count', pattern: 'venue=(?P<venue>\\w+)', tags: ['venue'] },
    ],
  });
  const emit = new RecordingEmit();
  const sampler = new LogSampler(cfg, deps(join(dir, 'state')));
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  await sampler.sample(emit);
  t.equal(emit.lastCounter('matches', { rule: 'errors', file: log }), 0, 'the untagged rule reports 0 before any match');
  t.equal(emit.lastCounter('matches', { rule: 'by_venue' }), undefined, 'a tagged rule has no series before its first match');
  appendFileSync(log, '[ERROR] one\n[ERROR] two venue=XLON\n');
  await waitFor('both errors counted', async () => {
    await sampler.sample(emit);
    return emit.lastCounter('matches', { rule: 'errors', file: log }) === 2;
  });
  t.equal(emit.lastCounter('matches', { rule: 'by_venue', venue: 'XLON' }), 1);
});

t.test('a backlog (a full unit of lines in one read) tells the agent once that work is ahead; a trickle does not', async (t) => {
  const dir = tempDir('busy');
  const backlog = join(dir, 'backlog.log');
  const trickle = join(dir, 'trickle.log');
  writeFileSync(backlog, Array.from({ length: 10_000 }, (_, i) => `line ${i} latency_us=${i}\n`).join(''));
  writeFileSync(trickle, 'one latency_us=1\n');
  const told: string[] = [];
  const run = async (file: string) => {
    const emit = new RecordingEmit();
    const cfg = logConfig({
      files: [file],
      startAt: 'beginning',
      rules: [{ name: 'lat', action: 'metric', pattern: 'latency_us=(?P<latency_us>\\d+)' }],
    });
    const sampler = new LogSampler(cfg, { ...deps(join(dir, `state-${told.length}-${file.length}`)), busy: () => told.push(file) });
    await sampler.start(emit);
    await sampler.stop();
    return emit.values('latency_us').length;
  };
  t.equal(await run(trickle), 1);
  t.same(told, [], 'one line: not a backlog');
  t.equal(await run(backlog), 10_000);
  t.same(told, [backlog], 'a 10,000-line backlog: told once');
});

t.test('while the agent holds batches its disk refused, the log is not read; the lines come once it writes again', async (t) => {
  const dir = tempDir('paused');
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const cfg = logConfig({ files: [log], rules: [{ name: 'seq', action: 'metric', pattern: '^seq=(?P<seq>\\d+);' }] });
  let diskFull = false;
  const emit = new RecordingEmit();
  const sampler = new LogSampler(cfg, { ...deps(join(dir, 'state')), readPaused: () => diskFull });
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  appendFileSync(log, 'seq=1;\n');
  await waitFor('the first line', () => emit.values('seq').includes(1));
  diskFull = true;
  appendFileSync(log, 'seq=2;\nseq=3;\n');
  for (let i = 0; i < 3; i++) await sampler.sample(emit); // polls, as the agent's interval does
  t.same(emit.values('seq'), [1], `nothing read while the disk is full: ${emit.values('seq').join(',')}`);
  diskFull = false;
  await sampler.sample(emit);
  await waitFor('the held-back lines', () => emit.values('seq').includes(3));
  t.same(emit.values('seq'), [1, 2, 3], 'each line once, in order');
});
