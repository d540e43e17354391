/**
 * The capture fast path (linear.ts): V8's RegExp reads captures only for patterns that cannot
 * backtrack (deterministic, one parse per prefix), anchored where RE2 found the match, on 7-bit
 * lines; and it gives RE2's answer. Everything else stays on RE2.
 */
import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import RE2 from 're2';
import { LogSampler } from '../../../../agent/samplers/log/log.js';
import { planLinear } from '../../../../agent/samplers/log/linear.js';
import { captureText, compileMatcher } from '../../../../agent/samplers/log/matcher.js';
import { waitFor } from '../../../helpers/wait.js';
import { deps, logConfig } from './config-helper.js';
import { RecordingEmit, tempDir } from './helpers.js';

/** Classic catastrophic-backtracking shapes, with and without captures: none may reach V8. */
const HOSTILE = [
  '(a+)+$',
  '(?:a+)+$',
  '(a|aa)+$',
  '(?:a|aa)+$',
  '(?:a|a)*$',
  '(?:x+x+)+y',
  '^(?:\\w+\\s?)*$',
  '^(\\w+\\s?)*$',
  '(?:.*a){10}',
  '.*.*=.*',
  '(?:a*)*b',
  '(?:a?)+b',
  '\\d+\\d+x',
  '(?:[a-c]+|d)+e',
  '^(?:[a-z0-9]+\\.)*[a-z0-9]+$', // the e-mail/hostname ReDoS
  '\\|35=1\\|.*\\|112=(?P<id>[^|]+)\\|', // ambiguous (.* vs \|): safe on RE2, not provably on V8
  '(?i)latency=(\\d+)', // flags: not translated
  'caf\u00e9=(\\d+)', // non-ASCII text
  '[[:alpha:]]+=(\\d+)', // POSIX class
];

const FAST = [
  'latency_us=(?P<latency_us>\\d+)',
  '\\[(?P<level>ERROR|FATAL)\\] (?P<component>\\w+):',
  'session (?P<session>\\S+) disconnected',
  '^seq=(?P<seq>\\d+);',
  '35=1\\|112=(?P<id>\\w+)',
  '^(?P<ts>\\d{8}-\\d{2}:\\d{2}:\\d{2}\\.\\d+) (?P<dir>IN|OUT) ',
  'px=(?P<px>\\d+(?:\\.\\d+)?)(?P<unit>bp|%)',
  '(?:a+b)+(?P<tail>c+)',
  'id=(?P<id>[^ ;]+?);',
  'k(?P<x>[a-c]{2,4})d',
  'GARBAGE(?P<rest>.*)',
];

function namesOf(pattern: string): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '(') {
      const m = /^\(\?P?<(\w+)>/.exec(pattern.slice(i));
      if (m) names.push(m[1]);
      else if (pattern[i + 1] !== '?') names.push(undefined);
    }
  }
  return names;
}

t.test('catastrophic and ambiguous patterns are refused by the fast path (they stay on RE2)', async (t) => {
  for (const p of HOSTILE) {
    const v = planLinear(p, namesOf(p));
    t.notOk(v.ok, `${p}: ${v.ok ? 'ACCEPTED' : v.reason}`);
  }
});

t.test('deterministic patterns take the fast path', async (t) => {
  for (const p of FAST) {
    const v = planLinear(p, namesOf(p));
    t.ok(v.ok, `${p}${v.ok ? ` → /${v.plan.re.source}/y, ${v.plan.positions} positions` : `: ${v.reason}`}`);
  }
  t.ok(compileMatcher('r', 'pattern', 'latency_us=(?P<latency_us>\\d+)', false).linear.ok, 'the matcher uses it');
  t.notOk(compileMatcher('r', 'pattern', 'latency_us=(?P<latency_us>\\d+)', true).linear.ok, 'not with ignoreCase');
});

/** A small deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('the fast path gives exactly RE2 captures (differential, 44,000 random lines)', async (t) => {
  const rand = rng(42);
  const pieces = [
    'latency_us=',
    '[ERROR] ',
    '[FATAL] ',
    'session ',
    ' disconnected',
    'seq=',
    ';',
    '35=1|112=',
    '20261123-08:00:00.123 ',
    'IN ',
    'OUT ',
    'px=',
    'bp',
    '%',
    '.',
    'ab',
    'c',
    'k',
    'd',
    'id=',
    'GARBAGE',
    'x',
    ' ',
    '|',
    ':',
    '9',
    '12',
    'abc',
    '\t',
    '\r',
    '\v',
    '\u00e9',
    '\xa0',
  ];
  let fastUsed = 0;
  for (const p of FAST) {
    const m = compileMatcher('r', 'pattern', p, false);
    const ref = new RE2(p);
    for (let i = 0; i < 4000; i++) {
      let s = '';
      const n = 1 + Math.floor(rand() * 12);
      for (let j = 0; j < n; j++) s += pieces[Math.floor(rand() * pieces.length)]!;
      const line = Buffer.from(s);
      const want = ref.exec(line);
      const got = m.captures(line);
      if (!want) {
        if (got !== null) t.fail(`${p} on ${JSON.stringify(s)}: RE2 no match, fast path matched`);
        continue;
      }
      if (/^[\x00-\x7f]*$/.test(s)) fastUsed++;
      const wantGroups: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(want.groups ?? {}))
        wantGroups[k] = v === undefined ? undefined : (v as Buffer).toString('latin1');
      const gotGroups: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(got ?? {})) gotGroups[k] = v === undefined ? undefined : captureText(v, 'latin1');
      if (JSON.stringify(gotGroups) !== JSON.stringify(wantGroups)) {
        t.fail(`${p} on ${JSON.stringify(s)}: fast ${JSON.stringify(gotGroups)} RE2 ${JSON.stringify(wantGroups)}`);
      }
    }
  }
  t.ok(fastUsed > 1000, `${fastUsed} matching ASCII lines went through the fast path`);
});

t.test('fast-path patterns on hostile 200 KB lines finish (one anchored pass)', async (t) => {
  const cases: [string, string][] = [
    ['(?:a+b)+(?P<tail>c+)', `${'ab'.repeat(100_000)}c`],
    ['(?:a+b)+(?P<tail>c+)', `${'aab'.repeat(70_000)}x${'ab'.repeat(1000)}c`],
    ['latency_us=(?P<v>\\d+)', `latency_us=${'1'.repeat(200_000)}`],
    ['id=(?P<id>[^ ;]+?);', `${'id='.repeat(70_000)};`],
    ['k(?P<x>[a-c]{2,4})d', `${'kabc'.repeat(50_000)}kabcd`],
  ];
  for (const [p, s] of cases) {
    const m = compileMatcher('r', 'pattern', p, false);
    t.ok(m.linear.ok, `${p} is on the fast path`);
    const got = m.captures(Buffer.from(s), true);
    const want = new RE2(p).exec(Buffer.from(s));
    t.equal(got === null, want === null, `${p}: same verdict as RE2 on a ${s.length}-byte line`);
  }
});

t.test('a hostile pattern on a hostile line never stalls the main loop; every line is counted once', async (t) => {
  const dir = tempDir('hostile');
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const cfg = logConfig({
    files: [log],
    maxLineBytes: 262_144,
    rules: [
      { name: 'evil', action: 'count', pattern: '(a+)+$' },
      { name: 'evil2', action: 'count', pattern: '^(?:\\w+\\s?)*$' },
      { name: 'seq', action: 'metric', pattern: '^seq=(?P<seq>\\d+);' },
    ],
  });
  const emit = new RecordingEmit();
  const sampler = new LogSampler(cfg, deps(join(dir, 'state')));
  await sampler.start(emit);
  t.teardown(() => sampler.stop());
  // A timer on the main thread: it can only fire between batches, so it keeps firing only if
  // no rule holds the loop (in JS RegExp these lines take longer than the age of the universe).
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  t.teardown(() => clearInterval(timer));
  const hostile = `${'a'.repeat(100_000)}!\n${'ab '.repeat(50_000)}!\n`;
  for (let i = 1; i <= 20; i++) appendFileSync(log, `${hostile}seq=${i};\naaa\n`);
  await waitFor('all 20 sequence lines', () => emit.values('seq').length >= 20, { timeoutMs: 30_000 });
  const ticksAfter = ticks;
  await waitFor('the main-loop timer to keep firing', () => ticks >= ticksAfter + 3);
  t.same(
    emit.values('seq'),
    Array.from({ length: 20 }, (_, i) => i + 1),
    'every line processed, in order, once',
  );
  await sampler.sample(emit);
  t.equal(emit.lastCounter('matches', { rule: 'evil', file: log }), 20, '(a+)+$ matched each "aaa" line once, never the hostile ones');
  t.equal(
    emit.lastCounter('matches', { rule: 'evil2', file: log }),
    20,
    '^(?:\\w+\\s?)*$ matched each "aaa" line once, never "ab ab … !" nor "seq=N;"',
  );
  t.same(emit.errors, []);
});
