// deploy/ansible with Debian's real ansible-playbook, `-c local` against this machine: the example
// inventory's brain-ldn-a and ws-ldn-r01 each install into their own directory under a temporary
// root (floorwatch_prefix), so nothing outside it is touched and no systemd is needed. The units
// are rendered, not started (floorwatch_service_manager: none: each restart a handler would do is
// recorded in var/log/floorwatch/restarts.log); the test starts the installed brain and agent
// itself, from the installed files and the rendered configs, with mutual TLS from a CA made here.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { floorwatch, getJson, scratchDir, type FloorwatchProcess } from '../helpers/floorwatch.js';
import { releaseTarball } from '../helpers/release.js';
import { makeTestCa, makeTestCert } from '../helpers/tls.js';
import { freePort, waitFor } from '../helpers/wait.js';

const ANSIBLE = resolve(import.meta.dirname, '../../deploy/ansible');
const INVENTORY = join(ANSIBLE, 'inventories/small-floor/hosts.yml');
const BRAIN_HOST = 'brain-ldn-a';
const WS = 'ws-ldn-r01';
const PLANT = 'plant-ldn-a'; // installed and checked, not started: the reference plant is the demo's

// Three hosts installed twice, an upgrade, a rollback, lint: ~2 min on a quiet machine, 5 on a busy
// one (ansible-playbook is CPU-bound Python); tap's default 300 s per file is too tight for that.
t.setTimeout(900_000);

const found = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['ansible-playbook', 'ansible-lint', 'openssl'].filter((tool) => !found(tool));

if (missing.length > 0) {
  t.plan(0, `not installed: ${missing.join(', ')} (scripts/run-tests.mjs installs the Debian packages as root)`);
} else {
  await suite();
}

interface Recap {
  ok: number;
  changed: number;
  failed: number;
}
interface Run {
  code: number | null;
  out: string;
  recap: Record<string, Recap>;
}

async function suite(): Promise<void> {
  t.setTimeout(900_000); // the release build (shared with release.test.ts) and several playbook runs on a busy 2-core box

  const release = releaseTarball(t);
  const root = scratchDir(t, `fw-ansible-test-${process.pid}-`);
  const hostRoot = (host: string) => join(root, 'hosts', host);
  const home = join(root, 'home'); // ansible's and ansible-lint's own temp and cache dirs go here, not into ~
  mkdirSync(home, { recursive: true });

  // Releases as the controller keeps them: the shared tarball and a second version made from it
  // (package.json's version changed), each listed in this dir's own SHA256SUMS.
  const releases = join(root, 'releases');
  mkdirSync(releases);
  const v1 = release.version;
  const v2 = `${v1}-next`;
  const tarName = (v: string) => `floorwatch-${v}-linux-x64-node20-abi115.tar.gz`;
  symlinkSync(release.file, join(releases, tarName(v1)));
  const repack = spawnSync(
    'sh',
    [
      '-ec',
      'mkdir "$1/x" && tar -xzf "$2" -C "$1/x" && cd "$1/x"/* && sed -i "s/\\"version\\": \\"$3\\"/\\"version\\": \\"$4\\"/" package.json && cd "$1/x" && tar -cf - * | gzip -1 > "$5" && rm -rf "$1/x"',
      'sh',
      root,
      release.file,
      v1,
      v2,
      join(releases, tarName(v2)),
    ],
    { encoding: 'utf8' },
  );
  if (repack.status !== 0) throw new Error(`repacking the release as ${v2} failed: ${repack.stderr}`);
  const sha = (f: string) => spawnSync('sha256sum', [f], { encoding: 'utf8' }).stdout.split(' ')[0];
  writeFileSync(join(releases, 'SHA256SUMS'), [v1, v2].map((v) => `${sha(join(releases, tarName(v)))}  ${tarName(v)}\n`).join(''));

  // The floor CA, the brain's certificate (for 127.0.0.1, where the test's agent dials it) and the workstation's.
  const tls = join(root, 'tls');
  mkdirSync(tls);
  makeTestCa(tls, 'floor-ca');
  for (const name of [BRAIN_HOST, WS, PLANT]) makeTestCert(tls, 'floor-ca', name, `DNS:${name},IP:127.0.0.1`);

  const grpcPort = await freePort();
  const httpPort = await freePort();
  const appLog = join(root, 'app.log');
  writeFileSync(appLog, '');
  const whoami = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  // What a test host differs in from the example inventory: the prefix, the controller's release
  // and certificate dirs, its own user, no service manager, loopback ports, a log file it writes.
  const varsFile = join(root, 'test-vars.json');
  writeFileSync(
    varsFile,
    JSON.stringify({
      floorwatch_prefix: `${root}/hosts/{{ inventory_hostname }}`,
      ansible_become: false,
      ansible_python_interpreter: '/usr/bin/python3',
      floorwatch_node: process.execPath,
      floorwatch_release_dir: releases,
      floorwatch_tls_src: tls,
      floorwatch_user: whoami,
      floorwatch_group: group,
      floorwatch_create_user: false,
      floorwatch_user_groups: [],
      floorwatch_service_manager: 'none',
      floorwatch_agents_serial: '100%',
      floorwatch_brain_addresses: [`127.0.0.1:${grpcPort}`],
      floorwatch_brain_listen: `127.0.0.1:${grpcPort}`,
      floorwatch_brain_http: `127.0.0.1:${httpPort}`,
      floorwatch_brain_http_tls: false,
      floorwatch_brain_store: { kind: 'none' },
      floorwatch_brain_access: { anonymous_read: true },
      floorwatch_brain_config_extra: {},
      floorwatch_agent_interval_ms: 250,
      floorwatch_agent_flush_ms: 250,
      floorwatch_agent_log_files: [appLog],
      floorwatch_plant_health_targets: [`127.0.0.1:${grpcPort}`],
    }),
  );
  const env = {
    ...process.env,
    HOME: home,
    ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    ANSIBLE_REMOTE_TEMP: join(home, 'remote-tmp'),
    ANSIBLE_NOCOLOR: '1',
    NO_COLOR: '1',
    XDG_CACHE_HOME: join(home, 'cache'),
  };

  function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
    return new Promise((res, rej) => {
      const child = spawn(cmd, args, { cwd: ANSIBLE, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', rej);
      child.on('close', (code) => res({ code, out }));
    });
  }
  async function playbook(playbookFile: string, hosts: string[], extra: Record<string, unknown> = {}, more: string[] = []): Promise<Run> {
    const r = await run('ansible-playbook', [
      '-c',
      'local',
      '-i',
      INVENTORY,
      '-l',
      hosts.join(','),
      '-e',
      `@${varsFile}`,
      '-e',
      JSON.stringify(extra),
      ...more,
      playbookFile,
    ]);
    const recap: Record<string, Recap> = {};
    for (const m of r.out.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/gm))
      recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), failed: Number(m[4]) };
    return { ...r, recap };
  }
  const tail = (s: string, n = 40) => s.split('\n').slice(-n).join('\n');
  /** An assertion message that carries the command's output only when it failed. */
  const said = (r: { code: number | null; out: string }, what: string) =>
    r.code === 0 ? what : `${what} (exit ${r.code}):\n${tail(r.out)}`;
  /** The tasks that reported "changed", for a failing idempotence assertion. */
  const changedTasks = (out: string) =>
    [...out.matchAll(/TASK \[([^\]]+)\][^\n]*\n(?:[^\n]*\n)*?changed: \[([^\]]+)\]/g)].map((m) => `${m[2]}: ${m[1]}`);
  const restarts = (host: string) =>
    existsSync(join(hostRoot(host), 'var/log/floorwatch/restarts.log'))
      ? readFileSync(join(hostRoot(host), 'var/log/floorwatch/restarts.log'), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
      : [];
  const currentOf = (host: string) => readlinkSync(join(hostRoot(host), 'opt/floorwatch/current'));
  const outside = [
    '/opt/floorwatch',
    '/etc/floorwatch',
    '/var/lib/floorwatch',
    '/etc/systemd/system/floorwatch-agent.service',
    '/etc/systemd/system/floorwatch-brain.service',
  ];
  const outsideBefore = outside.filter((p) => existsSync(p));

  // What `--check --diff` would do on a host that has nothing yet, with the inventory's own
  // service user (a real host's defaults: a system user `floorwatch`); check mode creates neither.
  const previewRoot = join(root, 'preview');
  const userExists = (name: string) => spawnSync('id', [name]).status === 0;
  const floorwatchUserBefore = userExists('floorwatch');

  // A host without Node.js, floorwatch_node_install: tarball: the official tarball's layout
  // (node-v<version>-linux-x64/bin/node) made here, its node a script running the one running this test
  // (the role's steps are what is tested: found absent, unpacked, checked, used by the unit and
  // by validate:). Installed for real, into its own prefix.
  const noNodeRoot = join(root, 'no-node');
  const nodeDirName = `node-v${process.versions.node}-linux-x64`;
  const nodeTarball = join(root, `${nodeDirName}.tar.gz`);
  mkdirSync(join(root, 'node-src', nodeDirName, 'bin'), { recursive: true });
  writeFileSync(join(root, 'node-src', nodeDirName, 'bin/node'), `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
  const packNode = spawnSync('tar', ['-czf', nodeTarball, '-C', join(root, 'node-src'), nodeDirName], { encoding: 'utf8' });
  if (packNode.status !== 0) throw new Error(`packing the Node.js tarball failed: ${packNode.stderr}`);

  let installed = false;
  await t.test(
    'first run: installs brain-ldn-a and ws-ldn-r01 into the prefix; lint, syntax check and a fresh --check pass meanwhile',
    async (t) => {
      const [first, lint, syntax, preview, noNode] = await Promise.all([
        playbook('site.yml', [BRAIN_HOST, WS, PLANT]),
        run('ansible-lint', ['--offline', '-p']),
        run('ansible-playbook', ['-i', INVENTORY, '--syntax-check', 'site.yml', 'rollback.yml']),
        playbook(
          'site.yml',
          [WS],
          {
            floorwatch_prefix: `${previewRoot}/{{ inventory_hostname }}`,
            floorwatch_create_user: true,
            floorwatch_user: 'floorwatch',
            floorwatch_group: 'floorwatch',
          },
          ['--check', '--diff'],
        ),
        playbook('site.yml', [WS], {
          floorwatch_prefix: `${noNodeRoot}/{{ inventory_hostname }}`,
          floorwatch_node: `${noNodeRoot}/absent/node`,
          floorwatch_node_install: 'tarball',
          floorwatch_node_tarball: nodeTarball,
        }),
      ]);
      t.equal(lint.code, 0, said(lint, 'ansible-lint (production profile) passes'));
      t.equal(syntax.code, 0, said(syntax, 'ansible-playbook --syntax-check passes'));
      // A first install previewed: it runs through (unarchive has no directory to unpack into in
      // check mode), says what it would do, and touches nothing.
      t.equal(preview.code, 0, said(preview, 'site.yml --check --diff on a host with nothing installed succeeds'));
      t.ok((preview.recap[WS]?.changed ?? 0) > 0, `the preview reports changes (${JSON.stringify(preview.recap[WS])})`);
      t.match(preview.out, `would unpack ${tarName(v1)}`, 'it would unpack the release');
      t.match(preview.out, /^\+User=floorwatch$/m, 'the diff shows the unit running as the dedicated user');
      t.match(
        preview.out,
        /TASK \[floorwatch_common : User \| system user, no login, no home, named floorwatch\][^\n]*\n+changed:/,
        'it would create that user',
      );
      t.notOk(existsSync(previewRoot), `--check created nothing under ${previewRoot}`);
      t.equal(userExists('floorwatch'), floorwatchUserBefore, '--check created no user');
      // Node.js absent: installed from the tarball, and what runs floorwatch from then on.
      t.equal(noNode.code, 0, said(noNode, 'with no node at floorwatch_node and floorwatch_node_install=tarball, the run succeeds'));
      const unpackedNode = join(noNodeRoot, WS, 'opt/floorwatch/node', nodeDirName, 'bin/node');
      t.equal(
        spawnSync(unpackedNode, ['--version'], { encoding: 'utf8' }).stdout?.trim(),
        process.version,
        `node unpacked at ${unpackedNode}`,
      );
      t.match(
        existsSync(join(noNodeRoot, WS, 'etc/systemd/system/floorwatch-agent.service'))
          ? readFileSync(join(noNodeRoot, WS, 'etc/systemd/system/floorwatch-agent.service'), 'utf8')
          : '(no unit rendered)',
        `\nExecStart=${unpackedNode} `,
        'the unit runs floorwatch with the node it installed',
      );
      t.ok(existsSync(join(noNodeRoot, WS, 'etc/floorwatch/agent.yaml')), 'agent.yaml rendered and validated with that node');
      t.equal(first.code, 0, said(first, 'the first run succeeds'));
      installed = first.code === 0;
      for (const host of [BRAIN_HOST, WS, PLANT]) {
        t.ok((first.recap[host]?.changed ?? 0) > 0, `${host} changed on the first run (${JSON.stringify(first.recap[host])})`);
        t.equal(currentOf(host), `releases/${v1}`, `${host}: current -> releases/${v1}`);
        t.ok(
          existsSync(join(hostRoot(host), `opt/floorwatch/releases/${v1}/node_modules/re2/build/Release/re2.node`)),
          `${host}: the release is unpacked with its native addon`,
        );
        const tlsDir = join(hostRoot(host), 'etc/floorwatch/tls');
        t.equal(statSync(tlsDir).mode & 0o777, 0o750, `${host}: tls dir 0750`);
        t.equal(statSync(join(tlsDir, `${host}.key`)).mode & 0o777, 0o640, `${host}: key 0640`);
        t.equal(
          statSync(join(hostRoot(host), 'etc/floorwatch/agent.yaml')).mode & 0o777,
          0o640,
          `${host}: agent.yaml 0640 (it may carry a token)`,
        );
      }
      const unit = readFileSync(join(hostRoot(WS), 'etc/systemd/system/floorwatch-agent.service'), 'utf8');
      for (const line of ['Restart=always', `User=${whoami}`, 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet='])
        t.match(unit, `\n${line}\n`, `the agent unit has ${line}`);
      t.notMatch(unit, /^MemoryDenyWriteExecute/m, 'no MemoryDenyWriteExecute (it kills V8)');
      t.match(
        unit,
        `\nExecStart=${process.execPath} ${hostRoot(WS)}/opt/floorwatch/current/dist/cli/floorwatch.js agent -c ${hostRoot(WS)}/etc/floorwatch/agent.yaml\n`,
        'the unit starts the installed CLI from current with the rendered config',
      );
      const agentYaml = readFileSync(join(hostRoot(WS), 'etc/floorwatch/agent.yaml'), 'utf8');
      for (const label of ['floor: ldn-3', 'desk: fx-spot', 'colour: red', 'role: workstation'])
        t.match(agentYaml, label, `labels from the inventory: ${label}`);
      // The plant host: its plant.yaml passed `floorwatch check --kind plant`, its agent watches the plant's processes.
      t.match(
        readFileSync(join(hostRoot(PLANT), 'etc/floorwatch/plant.yaml'), 'utf8'),
        `targets:\n  - 127.0.0.1:${grpcPort}\n`,
        'plant.yaml rendered',
      );
      t.match(
        readFileSync(join(hostRoot(PLANT), 'etc/floorwatch/agent.yaml'), 'utf8'),
        'cmdline: floorwatch plant feed-handler',
        'the plant host agent watches the feed handler',
      );
      t.same(
        outside.filter((p) => existsSync(p)),
        outsideBefore,
        'nothing was installed outside the prefix',
      );
    },
  );

  await t.test('second run: changed=0', { skip: !installed ? 'the first run failed' : false }, async (t) => {
    const second = await playbook('site.yml', [BRAIN_HOST, WS, PLANT]);
    t.equal(second.code, 0, said(second, 'the second run succeeds'));
    for (const host of [BRAIN_HOST, WS, PLANT])
      t.equal(second.recap[host]?.changed, 0, `${host} changed=0; changed tasks: ${JSON.stringify(changedTasks(second.out))}`);
  });

  const verifySkip = !installed
    ? 'the first run failed'
    : !found('systemd-analyze')
      ? 'systemd-analyze is not installed here: units not verified'
      : false;
  await t.test('the rendered units pass systemd-analyze verify', { skip: verifySkip }, async (t) => {
    const units = [
      join(hostRoot(WS), 'etc/systemd/system/floorwatch-agent.service'),
      join(hostRoot(BRAIN_HOST), 'etc/systemd/system/floorwatch-brain.service'),
      join(hostRoot(BRAIN_HOST), 'etc/systemd/system/floorwatch-agent.service'),
      join(hostRoot(PLANT), 'etc/systemd/system/floorwatch-plant.service'),
    ];
    const r = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    t.equal(r.status, 0, `systemd-analyze verify: ${r.stderr}`);
    t.equal(r.stderr.trim(), '', 'and says nothing');
  });

  // Started from the installed files with the rendered configs, PATH holding only `node`.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const installedEnv = { PATH: bin, HOME: home, FLOORWATCH_LOG_LEVEL: 'warn' };
  const start = (host: string, what: 'agent' | 'brain'): FloorwatchProcess => {
    const p = floorwatch([what, '-c', join(hostRoot(host), `etc/floorwatch/${what}.yaml`)], {
      installed: {
        cli: join(hostRoot(host), 'opt/floorwatch/current/dist/cli/floorwatch.js'),
        cwd: join(hostRoot(host), 'var/lib/floorwatch'),
        env: installedEnv,
      },
    });
    t.teardown(() => p.kill('SIGKILL'));
    return p;
  };
  const api = `http://127.0.0.1:${httpPort}`;
  type View = {
    id: string;
    connected: boolean;
    samples_received: number;
    version: string;
    labels: Record<string, string>;
    inventory: { os: string; kernel: string } | null;
  };
  /** ws-ldn-r01 at the brain, connected, reporting `version`, with more samples than `after`. */
  async function agentArrives(version: string, agent: FloorwatchProcess, after = 0): Promise<View> {
    let seen: View[] = [];
    return waitFor(
      `${WS} connected with version ${version} and samples beyond ${after}`,
      async () =>
        (seen = await getJson<View[]>(`${api}/api/agents`)).find(
          (a) => a.id === WS && a.connected && a.version === version && a.samples_received > after,
        ),
      { timeoutMs: 60_000, everyMs: 250, progress: () => agent.lines.length + agent.stderr.length },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; /api/agents said ${JSON.stringify(seen)}; agent stderr:\n${agent.stderr.slice(-10).join('\n')}`);
    });
  }

  /** The installed CLI's `floorwatch agents --outdated` against the installed brain. */
  const agentsOutdated = () =>
    new Promise<{ code: number | null; out: string }>((res) => {
      const child = spawn(
        process.execPath,
        [join(hostRoot(BRAIN_HOST), 'opt/floorwatch/current/dist/cli/floorwatch.js'), 'agents', '--outdated', '--brain', api],
        { env: installedEnv, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => res({ code, out }));
    });

  let agent: FloorwatchProcess | undefined;
  await t.test(
    'the installed brain and agent, with the rendered configs and mutual TLS, connect and samples arrive',
    { skip: !installed ? 'the first run failed' : false },
    async (t) => {
      const brain = start(BRAIN_HOST, 'brain');
      const ready = await brain.line<{ grpc_port: number; http_port: number }>((l) => l['ready'] === 'brain', 120_000);
      t.equal(ready.grpc_port, grpcPort, 'the brain listens where the inventory said');
      const first = start(WS, 'agent');
      await first.line((l) => l['ready'] === 'agent', 120_000);
      const view = await agentArrives(v1, first);
      agent = first;
      t.same(
        view.labels,
        { floor: 'ldn-3', desk: 'fx-spot', colour: 'red', role: 'workstation' },
        'the labels rendered from the inventory',
      );
      const inventory = await waitFor(
        'the installed agent reported its host inventory',
        async () => (await getJson<View[]>(`${api}/api/agents`)).find((a) => a.id === WS)?.inventory,
        { timeoutMs: 60_000, everyMs: 250 },
      );
      t.notMatch(inventory.os, /unknown/, `the inventory names the OS even with only node on the agent's PATH: ${inventory.os}`);
      const memory = await getJson<unknown[]>(`${api}/api/series?agent=${WS}&measurement=memory`);
      t.ok(memory.length > 0, `memory series arrived (${memory.length})`);
    },
  );

  await t.test(
    'a broken inventory value is refused by validate: and the running config is untouched',
    { skip: !installed || !agent ? 'the first run failed, or the agent did not start' : false },
    async (t) => {
      const running = agent;
      if (!running) throw new Error('no agent (the subtest should have been skipped)');
      const config = join(hostRoot(WS), 'etc/floorwatch/agent.yaml');
      const before = readFileSync(config, 'utf8');
      const restartsBefore = restarts(WS);
      const broken = await playbook('site.yml', [WS], { floorwatch_agent_interval_ms: 10 }, ['--tags', 'floorwatch_agent_configure']);
      t.not(broken.code, 0, 'the run fails');
      t.equal(broken.recap[WS]?.failed, 1, `one failed task on ${WS}`);
      t.match(broken.out, /failed to validate/, 'the template task failed its validate: step');
      t.match(
        broken.out,
        /:\d+: interval_ms: must be >= 50/,
        `floorwatch check named the line and the field${/:\d+: interval_ms/.test(broken.out) ? '' : `:\n${tail(broken.out, 15)}`}`,
      );
      t.equal(readFileSync(config, 'utf8'), before, 'agent.yaml is the one it was');
      t.same(restarts(WS), restartsBefore, 'no restart was asked for');
      t.equal(running.child.exitCode, null, 'the running agent still runs');
      const now = (await getJson<View[]>(`${api}/api/agents`)).find((a) => a.id === WS);
      await agentArrives(v1, running, now?.samples_received ?? 0);
      t.pass('and its samples still arrive');
    },
  );

  await t.test(
    `upgrade to ${v2}, then rollback.yml switches the link back and the agent still starts`,
    { skip: !installed || !agent ? 'the first run failed, or the agent did not start' : false },
    async (t) => {
      let running = agent;
      if (!running) throw new Error('no agent (the subtest should have been skipped)');
      const restartsBefore = restarts(WS).length;
      const agentYaml = join(hostRoot(WS), 'etc/floorwatch/agent.yaml');
      const yamlBefore = readFileSync(agentYaml, 'utf8');
      // The rollout previewed first, with a config change too: --diff shows it, nothing moves.
      const preview = await playbook('site.yml', [WS], { floorwatch_version: v2, floorwatch_agent_interval_ms: 500 }, [
        '--check',
        '--diff',
      ]);
      t.equal(preview.code, 0, said(preview, `site.yml --check --diff with floorwatch_version=${v2} succeeds`));
      t.ok((preview.recap[WS]?.changed ?? 0) > 0, `the preview reports changes (${JSON.stringify(preview.recap[WS])})`);
      t.match(preview.out, `would unpack ${tarName(v2)}`, `it would unpack ${v2}`);
      t.match(preview.out, /^-\s*interval_ms: 250$/m, 'the diff shows the old interval_ms');
      t.match(preview.out, /^\+\s*interval_ms: 500$/m, 'and the new one');
      t.equal(currentOf(WS), `releases/${v1}`, `after the preview current still -> releases/${v1}`);
      t.notOk(existsSync(join(hostRoot(WS), `opt/floorwatch/releases/${v2}`)), `${v2} was not unpacked`);
      t.equal(readFileSync(agentYaml, 'utf8'), yamlBefore, 'agent.yaml untouched by the preview');
      t.equal(restarts(WS).length, restartsBefore, 'no restart asked for by the preview');

      const up = await playbook('site.yml', [WS], { floorwatch_version: v2 });
      t.equal(up.code, 0, said(up, `site.yml with floorwatch_version=${v2} succeeds`));
      t.equal(currentOf(WS), `releases/${v2}`, `current -> releases/${v2}`);
      t.equal(restarts(WS).length, restartsBefore + 1, `one restart of the agent asked for: ${restarts(WS).slice(-2).join('; ')}`);
      await running.kill('SIGTERM');
      running = start(WS, 'agent');
      await agentArrives(v2, running);
      t.pass(`the agent runs ${v2} from current`);
      const outdated = await agentsOutdated();
      t.equal(outdated.code, 1, `floorwatch agents --outdated exits 1 while ${WS} runs ${v2} and the brain ${v1}: ${outdated.out}`);
      t.match(
        outdated.out,
        new RegExp(`^${WS} .*OUTDATED: version ${v2.replace(/[.+]/g, '\\$&')} \\(brain ${v1.replace(/\./g, '\\.')}\\)`, 'm'),
        'and names it, and why',
      );

      const back = await playbook('rollback.yml', [WS]);
      t.equal(back.code, 0, said(back, 'rollback.yml succeeds'));
      t.equal(currentOf(WS), `releases/${v1}`, `rolled back: current -> releases/${v1}`);
      t.ok(
        lstatSync(join(hostRoot(WS), `opt/floorwatch/releases/${v2}`)).isDirectory(),
        `${v2} stays unpacked (a roll forward is a link switch too)`,
      );
      t.equal(restarts(WS).length, restartsBefore + 2, 'one more restart asked for');
      await running.kill('SIGTERM');
      running = start(WS, 'agent');
      await agentArrives(v1, running);
      t.pass(`after the rollback the agent starts and runs ${v1}`);
      const fleet = await waitFor(
        'the rolled-back agent reported its inventory',
        async () => {
          const r = await agentsOutdated();
          return r.code === 0 ? r : undefined;
        },
        { timeoutMs: 60_000, everyMs: 500, progress: () => running.lines.length },
      );
      t.match(fleet.out, /no agent is outdated/, 'floorwatch agents --outdated: none after the rollback');

      // Only what changed restarts: the brain host was not in these runs, its log is as it was.
      t.equal(
        restarts(BRAIN_HOST).filter((l) => l.endsWith('floorwatch-brain')).length,
        1,
        'the brain was restarted once, at the first install',
      );
    },
  );

  await t.test(
    '--check --diff after the rollback: runs and changes nothing',
    { skip: !installed ? 'the first run failed' : false },
    async (t) => {
      const check = await playbook('site.yml', [WS], { floorwatch_version: v1 }, ['--check', '--diff']);
      t.equal(check.code, 0, said(check, 'site.yml --check --diff succeeds'));
      t.equal(check.recap[WS]?.changed, 0, `changed tasks: ${JSON.stringify(changedTasks(check.out))}`);
    },
  );
}
