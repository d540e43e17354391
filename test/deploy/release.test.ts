// The release tarball (`npm run release`) runs without the checkout, dev dependencies or a
// compiler: unpacked into a temp prefix, started from there with a PATH holding only `node`,
// the brain and an agent (whose log rule is an RE2 regex: the shipped re2.node loads) connect
// and samples arrive.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { floorwatch, getJson, scratchDir } from '../helpers/floorwatch.js';
import { releaseTarball } from '../helpers/release.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(900_000); // building the release on a busy 2-core box takes minutes; each step below waits on progress

const release = releaseTarball(t);
const root = scratchDir(t, `fw-release-test-${process.pid}-`);
const prefix = join(root, 'opt/floorwatch');

t.test('the tarball: named for platform and ABI, checksummed, self-contained', async (t) => {
  t.match(release.file, /floorwatch-\d+\.\d+\.\d+.*-linux-x64-node20-abi115\.tar\.gz$/);
  const sum = createHash('sha256').update(readFileSync(release.file)).digest('hex');
  t.equal(sum, release.sha256, 'the .sha256 beside it matches');
  t.match(readFileSync(join(release.dir, 'SHA256SUMS'), 'utf8'), `${sum}  `, 'SHA256SUMS lists it');
  mkdirSync(prefix, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', release.file, '-C', prefix, '--strip-components=1'], { encoding: 'utf8' });
  t.equal(untar.status, 0, untar.stderr);
  for (const f of [
    'dist/cli/floorwatch.js',
    'proto/floorwatch.proto',
    'rules/host.yaml',
    'rules/host.test.yaml',
    'rules/calendar/trading-day.yaml',
    'docs/examples/agent.yaml',
    'brain/http/console/index.html',
    'node_modules/re2/build/Release/re2.node',
    'RELEASE',
  ]) {
    t.ok(existsSync(join(prefix, f)), `ships ${f}`);
  }
  for (const f of [
    'node_modules/typescript',
    'node_modules/tap',
    'node_modules/tsx',
    'node_modules/re2/vendor',
    'node_modules/re2/build/Release/obj.target',
    'cli/floorwatch.ts',
    'test',
  ]) {
    t.notOk(existsSync(join(prefix, f)), `leaves out ${f}`);
  }
  const pkg = JSON.parse(readFileSync(join(prefix, 'package.json'), 'utf8')) as Record<string, unknown>;
  t.notOk(pkg['devDependencies'], 'no dev dependencies declared');
  t.same(pkg['release'], { platform: 'linux-x64', node_major: 20, abi: 115 });
});

// Only `node` on the PATH: no g++, make, python, npm. Nothing can be built or fetched.
const bin = join(root, 'bin');
mkdirSync(bin);
symlinkSync(process.execPath, join(bin, 'node'));
const env = { PATH: bin, HOME: root, FLOORWATCH_LOG_LEVEL: 'warn' };
const installed = { cli: join(prefix, 'dist/cli/floorwatch.js'), cwd: root, env };

t.test('with no compiler on the PATH, the installed brain and agent run and samples arrive', async (t) => {
  for (const tool of ['g++', 'make', 'npm'])
    t.equal(spawnSync(tool, ['--version'], { env }).error?.message.includes('ENOENT'), true, `${tool} is not reachable`);
  const check = spawnSync(process.execPath, [installed.cli, 'check', join(prefix, 'rules'), join(prefix, 'docs/examples')], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  t.equal(check.status, 0, `the installed floorwatch check passes its own packaged files:\n${check.stderr}`);

  // Reads without a credential: this test looks at /api/agents as the demo's wall board would.
  const brainYaml = join(root, 'brain.yaml');
  writeFileSync(brainYaml, 'access: {anonymous_read: true}\n');
  const brain = floorwatch(
    ['brain', '--config', brainYaml, '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--state-dir', join(root, 'brain')],
    { installed },
  );
  t.teardown(() => brain.kill('SIGKILL'));
  const ready = await brain.line<{ grpc_port: number; http_port: number }>((l) => l['ready'] === 'brain', 120_000);
  const log = join(root, 'app.log');
  writeFileSync(log, '');
  const agentYaml = join(root, 'agent.yaml');
  writeFileSync(
    agentYaml,
    [
      'agent: {id: ws-release, labels: {floor: ldn-3, desk: fx, colour: red, role: workstation}, state_dir: ' + join(root, 'agent') + '}',
      `brain: {addresses: ["127.0.0.1:${ready.grpc_port}"]}`,
      'interval_ms: 200',
      'flush_ms: 200',
      'samplers:',
      '  memory: {}',
      `  log: {files: ["${log}"], rules: [{name: errors, action: count, pattern: "\\\\[(?:ERROR|FATAL)\\\\]"}]}`,
      '',
    ].join('\n'),
  );
  const agent = floorwatch(['agent', '-c', agentYaml], { installed });
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent', 120_000);
  const api = `http://127.0.0.1:${ready.http_port}`;
  type View = { id: string; connected: boolean; samples_received: number; version: string };
  let seen: View[] = [];
  const view = await waitFor(
    'the installed agent connected and its samples at the installed brain',
    async () =>
      (seen = await getJson<View[]>(`${api}/api/agents`)).find((a) => a.id === 'ws-release' && a.connected && a.samples_received > 0),
    { timeoutMs: 120_000, everyMs: 250 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; /api/agents said ${JSON.stringify(seen)}; agent stderr:\n${agent.stderr.slice(-10).join('\n')}`);
  });
  t.equal(view.version, release.version, 'the agent reports the release version');
  const memory = await getJson<unknown[]>(`${api}/api/series?agent=ws-release&measurement=memory`);
  t.ok(memory.length > 0, `memory series arrived (${memory.length})`);
});
