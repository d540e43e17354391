import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { processPlugin, ProcessWatchSampler, type ProcessConfig } from '../../../../agent/samplers/process/process.js';
import { watchEvents } from '../../../../agent/samplers/process/watch-events.js';
import { parseConfigText } from '../../../../lib/config-file.js';
import { systemClock } from '../../../../lib/clock.js';
import { waitFor } from '../../../helpers/wait.js';
import { RecordingEmit } from '../../local/recording-emit.js';

const deps = { clock: systemClock, procRoot: '/proc' };
const wrap = (section: string): string => `process:\n${section}`;
const configSchema = { type: 'object', additionalProperties: false, properties: { process: processPlugin.schema } };

function unique(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 15);
}

/** A real process; `title` becomes its comm (Node sets it with prctl) once it has run its first line. */
function startChild(t: Test, source: string, ...args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', source, ...args], { stdio: 'ignore' });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function killAndWait(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** Samples until the watch's count is `count`; returns the emit holding that sample's output. */
async function sampleUntilCount(sampler: ProcessWatchSampler, all: RecordingEmit, count: number): Promise<RecordingEmit> {
  return waitFor(
    `count ${count}`,
    () => {
      const emit = new RecordingEmit();
      sampler.sample(emit);
      all.events.push(...emit.events);
      return emit.fieldValues('process_watch', 'count')[0] === count ? emit : undefined;
    },
    { everyMs: 50 },
  );
}

t.test('a comm watch follows real processes: appeared and vanished with pids, MAJOR when below min', async (t) => {
  const comm = unique('fwt');
  const sampler = new ProcessWatchSampler({ enabled: true, watches: [{ name: 'fh', comm, min: 1 }] }, deps);
  const events = new RecordingEmit();
  await sampleUntilCount(sampler, events, 0);
  t.match(
    events.eventsOf('process.vanished'),
    [{ severity: 3, attrs: { first_scan: 'true', pids: '' }, values: { count: 0, min: 1 }, tags: { watch: 'fh' } }],
    'below min at start is MAJOR',
  );

  const source = `process.title = ${JSON.stringify(comm)}; setInterval(() => {}, 1000)`;
  const a = startChild(t, source);
  const b = startChild(t, source);
  await sampleUntilCount(sampler, events, 2);
  const appearedPids = events
    .eventsOf('process.appeared')
    .flatMap((e) => (e.attrs?.['changed_pids'] ?? '').split(','))
    .map(Number);
  t.same(appearedPids.sort(), [a.pid, b.pid].sort());

  await killAndWait(a);
  await sampleUntilCount(sampler, events, 1);
  t.match(events.eventsOf('process.vanished').at(-1), {
    severity: 0,
    attrs: { changed_pids: String(a.pid), pids: String(b.pid) },
    values: { count: 1, previous: 2 },
  });

  await killAndWait(b);
  await sampleUntilCount(sampler, events, 0);
  t.match(events.eventsOf('process.vanished').at(-1), {
    severity: 3,
    attrs: { changed_pids: String(b.pid), pids: '' },
    values: { count: 0, previous: 1, min: 1 },
  });
});

t.test('a cmdline watch matches with RE2 and sums the CPU and RSS of its processes', async (t) => {
  const token = unique('fwtoken');
  const sampler = new ProcessWatchSampler(
    { enabled: true, watches: [{ name: 'spinners', cmdline: `-e .* ${token}-(one|two)$`, min: 0 }] },
    deps,
  );
  const spin = `const keep = Buffer.alloc(32 * 1024 * 1024, 1); const end = Date.now() + 30000; while (Date.now() < end) {}`;
  startChild(t, spin, `${token}-one`);
  startChild(t, spin, `${token}-two`);
  startChild(t, spin, `${token}-three`);
  const events = new RecordingEmit();
  await sampleUntilCount(sampler, events, 2);
  const busy = await waitFor(
    'CPU of the two spinning processes',
    () => {
      const emit = new RecordingEmit();
      sampler.sample(emit);
      const cpu = emit.fieldValues('process_watch', 'cpu_percent')[0] ?? 0;
      // Both children must have touched their buffers too, or RSS is read mid-start.
      const rss = emit.fieldValues('process_watch', 'rss_bytes')[0] ?? 0;
      return cpu > 30 && rss > 64 * 1024 * 1024 ? emit : undefined;
    },
    { everyMs: 250 },
  );
  t.ok((busy.fieldValues('process_watch', 'rss_bytes')[0] ?? 0) > 64 * 1024 * 1024, 'RSS is the sum of both 32 MiB buffers and more');
  t.match(busy.points[0], { tags: { watch: 'spinners' } });
});

t.test('a pid replaced between two samples is a vanish and an appearance even though the count holds', async (t) => {
  const previous = { known: true, pids: [10, 11], ticks: new Map(), atMs: 0 };
  const events = watchEvents({ min: 2 }, previous, [11, 12]);
  t.match(events, [
    { kind: 'process.vanished', input: { attrs: { changed_pids: '10', pids: '11,12' }, severity: 0 } },
    { kind: 'process.appeared', input: { attrs: { changed_pids: '12' }, values: { count: 2 } } },
  ]);
  const recovered = watchEvents({ min: 1 }, { ...previous, pids: [] }, [5]);
  t.match(recovered, [{ kind: 'process.appeared', input: { attrs: { recovered: 'true' } } }]);
});

t.test('a pattern RE2 cannot run in linear time is refused at start, naming the watch', async (t) => {
  t.throws(
    () =>
      processPlugin.create(
        {
          enabled: true,
          watches: [
            { name: 'ok', comm: 'sshd', min: 0 },
            { name: 'backref', cmdline: '(a)\\1', min: 0 },
          ],
        },
        { ...deps, log: undefined as never, sysRoot: '/sys', stateDir: '/tmp' },
      ),
    /process\.watches\[1\] \(backref\): cmdline is not a valid RE2 pattern/,
  );
});

t.test('README embeds sample.yaml verbatim and the sample passes the schema', async (t) => {
  const sample = readFileSync(new URL('../../../../agent/samplers/process/sample.yaml', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../../../../agent/samplers/process/README.md', import.meta.url), 'utf8');
  t.ok(readme.includes(`\`\`\`yaml\n${sample}\`\`\``), 'README contains sample.yaml in a yaml block');
  const parsed = parseConfigText<{ process: ProcessConfig }>(sample, configSchema, 'sample.yaml');
  t.equal(parsed.process.watches.length, 3);
  t.equal(parsed.process.watches[0]?.min, 0, 'min defaults to 0');
});

t.test('a watch with both comm and cmdline, or neither, is refused with file and line', async (t) => {
  t.throws(
    () => parseConfigText(wrap('  watches:\n    - name: both\n      comm: a\n      cmdline: b\n'), configSchema, 'agent.yaml'),
    /agent\.yaml:3: process\.watches\.0/,
  );
  t.throws(
    () => parseConfigText(wrap('  watches:\n    - name: neither\n'), configSchema, 'agent.yaml'),
    /agent\.yaml:3: process\.watches\.0/,
  );
  t.throws(
    () => parseConfigText(wrap('  watches:\n    - name: long\n      comm: a-name-longer-than-15\n'), configSchema, 'agent.yaml'),
    /agent\.yaml:4: process\.watches\.0\.comm/,
  );
});
