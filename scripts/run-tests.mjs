// `npm test`: installs the real components the suite needs (Debian packages, as root), runs the
// whole tap suite, and ends with the plain `N passed, N failed` line CI reads (tap's own closing
// line, `# { total, pass, fail }`, is not recognised).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const debianPackages = (
  process.env.FLOORWATCH_TEST_PACKAGES ??
  'influxdb victoria-metrics logrotate iproute2 procps openssl hylafax-server chromium prometheus ansible ansible-lint systemd'
)
  .split(/\s+/)
  .filter(Boolean);

function missingPackages() {
  return debianPackages.filter(
    (p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true,
  );
}

function installPackages() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`[test setup] missing Debian packages (need root to install): ${missing.join(' ')}; dependent tests will skip`);
    return;
  }
  console.error(`[test setup] apt-get install -y ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  // policy-rc.d keeps the packages' own services from starting: the tests start their own.
  spawnSync('sh', ['-c', 'printf "#!/bin/sh\\nexit 101\\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'], {
    stdio: 'inherit',
  });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) console.error(`[test setup] apt-get exited ${r.status}; dependent tests will skip`);
}

installPackages();

const args = process.argv.slice(2);
// The whole suite (no file arguments) also runs the static checks: the tests type-checked
// (tsconfig.test.json), typed ESLint (eslint.config.js) and the formatter (prettier, 140 columns;
// `npm run format` fixes what it reports). Each that fails counts as one failed test in the
// closing line; tap runs regardless, so one run tells everything.
// They run one after the other BESIDE tap, at nice 19, instead of ~100 s before it: the tests
// spend much of their time waiting (on processes, sockets, the demo floor), and the checks take
// only the CPU the tests leave idle (a nice-19 process gets ~1.5 % of a CPU the tests want).
// Their output is held and printed after tap's, so it never lands inside tap's stream.
const staticChecks =
  args.length > 0
    ? []
    : [
        ['typecheck', 'tsc', ['-p', 'tsconfig.test.json']],
        ['lint', 'eslint', ['--cache', '--cache-location', 'node_modules/.cache/eslint', '.']],
        [
          'format',
          'prettier',
          ['--check', '--log-level', 'warn', '{agent,brain,lib,cli,plant,proto,bench,test,scripts}/**/*.{ts,mjs}', '*.{js,ts}'],
        ],
      ];
/** Runs the static checks in order, niced; resolves with how many failed and what they printed. */
async function runStaticChecks() {
  let failed = 0;
  const report = [];
  for (const [name, bin, binArgs] of staticChecks) {
    const started = Date.now();
    const output = [];
    const child = spawn('nice', ['-n', '19', `node_modules/.bin/${bin}`, ...binArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => output.push(c));
    child.stderr.on('data', (c) => output.push(c));
    const status = await new Promise((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('close', (code) => resolve(code));
    });
    if (status !== 0) failed++;
    report.push(
      Buffer.concat(output).toString(),
      `[test setup] ${name}: ${status === 0 ? 'ok' : `FAILED (exit ${status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s (nice 19, beside tap)\n`,
    );
  }
  return { failed, report: report.join('') };
}
const staticResult = runStaticChecks();
// Every temp dir the tests and the processes they start make (os.tmpdir() follows TMPDIR) goes
// into one scratch dir, removed when the run ends: a run leaves nothing behind in /tmp.
// Mode 1777 as /tmp's: hfaxd's faxq drops to the uucp user and must reach its spool in here.
const scratch = mkdtempSync(join(tmpdir(), 'floorwatch-tests-'));
chmodSync(scratch, 0o1777);
const tap = spawn('node_modules/.bin/tap', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: scratch } });
let summary;
const rl = createInterface({ input: tap.stdout });
rl.on('line', (line) => {
  console.log(line);
  // tap's closing line: `# { total: 25, pass: 23, fail: 1, skip: 1 }` (absent keys are 0).
  if (/^# \{ total: \d+/.test(line)) {
    const field = (name) => Number(new RegExp(`\\b${name}: (\\d+)`).exec(line)?.[1] ?? 0);
    summary = { total: field('total'), pass: field('pass'), fail: field('fail'), skip: field('skip') };
  }
});
tap.on('close', async (code) => {
  rmSync(scratch, { recursive: true, force: true });
  const { failed: staticFailed, report } = await staticResult;
  process.stderr.write(report);
  if (!summary) {
    console.log(`0 passed, ${1 + staticFailed} failed`);
    process.exit(code || 1);
  }
  const failed = summary.fail + (code !== 0 && summary.fail === 0 ? 1 : 0) + staticFailed;
  console.log(
    `${summary.pass + staticChecks.length - staticFailed} passed, ${failed} failed${summary.skip ? `, ${summary.skip} skipped` : ''}`,
  );
  process.exit(staticFailed > 0 ? 1 : (code ?? 1));
});
