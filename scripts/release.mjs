// `npm run release`: the floor's release artefact, built once and shipped to every host as is.
//
//   release/floorwatch-<version>-linux-<arch>-node<major>-abi<ABI>.tar.gz  + .sha256 + SHA256SUMS
//
// The tarball holds the compiled dist/, the proto, the packaged rules and calendar, the console's
// static files, docs/examples and docs/*.md, and the PRODUCTION node_modules of this build box,
// re2's native addon included, already built (build/Release/re2.node) — so a host needs Node.js
// of the same major (same ABI) and nothing else: no npm, no registry, no compiler. That is why
// the name carries platform, arch and ABI: a tarball runs only where those match (checked here
// by loading every native addon from the staged tree, and by the installed agent at start).
// Dev dependencies, sources, maps and type declarations stay out.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const outDir = resolve(flag('--out') ?? join(ROOT, 'release'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
// --version stamps another version into the staged package.json (a second release for upgrade and rollback tests).
const version = flag('--version') ?? pkg.version;

const nodeMajor = process.versions.node.split('.')[0];
const abi = process.versions.modules;
const platform = `${process.platform}-${process.arch}`;
const engines = pkg.engines?.node ?? '';

const name = `floorwatch-${version}`;
const artefact = `${name}-${platform}-node${nodeMajor}-abi${abi}.tar.gz`;
const scratch = mkdtempSync(join(tmpdir(), 'floorwatch-release-'));
const stage = join(scratch, name);
try {
  if (!engines.includes(nodeMajor))
    fail(`this box runs Node ${process.versions.node} but package.json engines say ${engines}: build on the floor's Node major`);
  if (!existsSync(join(ROOT, 'dist/cli/floorwatch.js'))) fail('dist/ is missing: npm run build first (npm run release does)');
  stageTree();
  verify();
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, artefact);
  // Reproducible: sorted names, fixed owner and mtime (the commit's), gzip without a timestamp.
  const mtime = gitCommitTime();
  execFileSync('sh', [
    '-c',
    'tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$1" -C "$2" -cf - "$3" | gzip -n -6 > "$4"',
    'sh',
    String(mtime),
    scratch,
    name,
    out,
  ]);
  const sum = await sha256(out);
  writeFileSync(`${out}.sha256`, `${sum}  ${artefact}\n`);
  const sums = join(outDir, 'SHA256SUMS');
  const others = existsSync(sums)
    ? readFileSync(sums, 'utf8')
        .split('\n')
        .filter((l) => l && !l.endsWith(`  ${artefact}`))
    : [];
  writeFileSync(sums, [...others, `${sum}  ${artefact}`].join('\n') + '\n');
  const mb = (statSync(out).size / 1048576).toFixed(1);
  process.stdout.write(
    JSON.stringify({ release: out, sha256: sum, version, platform, node_major: Number(nodeMajor), abi: Number(abi), mb: Number(mb) }) +
      '\n',
  );
} catch (err) {
  process.stderr.write(`release: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function stageTree() {
  mkdirSync(stage, { recursive: true });
  const copy = (from, to = from, filter = () => true) =>
    cpSync(join(ROOT, from), join(stage, to), { recursive: true, filter: (src) => filter(src) });
  copy('dist', 'dist', (src) => !/\/dist\/(bench|test)(\/|$)/.test(src) && !src.endsWith('.map'));
  copy('proto/floorwatch.proto');
  copy('rules');
  copy('brain/http/console');
  copy('docs', 'docs', (src) => statSync(src).isDirectory() || src.endsWith('.md') || src.includes('/docs/examples/'));
  for (const f of ['README.md', 'LICENSE', 'dashboards']) if (existsSync(join(ROOT, f))) copy(f);
  const { devDependencies: _d, scripts: _s, allowScripts: _a, ...kept } = pkg;
  writeFileSync(
    join(stage, 'package.json'),
    JSON.stringify({ ...kept, version, release: { platform, node_major: Number(nodeMajor), abi: Number(abi) } }, null, 2) + '\n',
  );
  for (const dir of productionPackages()) {
    const rel = relative(ROOT, dir);
    cpSync(dir, join(stage, rel), { recursive: true, filter: (src) => keep(relative(dir, src), basename(dir)) });
  }
}

/** Every production package directory (nested ones too), as npm resolved them here: `npm ls` reads node_modules, no registry. */
function productionPackages() {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
  const dirs = r.stdout.split('\n').filter((l) => l.startsWith(join(ROOT, 'node_modules')));
  if (dirs.length < 10) fail(`npm ls --omit=dev found ${dirs.length} packages (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  return dirs;
}

/** Within one package: its nested node_modules are copied as packages of their own; sources, maps, types and build leftovers are not. */
function keep(rel, pkgName) {
  if (rel === '') return true;
  if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false;
  if (/\.(map|ts|mts|cts)$/.test(rel) && !rel.endsWith('.node')) return false;
  if (pkgName === 're2') return ['package.json', 're2.js', 'LICENSE', 'build', 'build/Release', 'build/Release/re2.node'].includes(rel);
  if (pkgName === 'jspurefix') return !/^(src|docs|data\/fix_repo\.zip)(\/|$)/.test(rel);
  return true;
}

/** The staged tree runs on its own: every native addon loads, and the CLI checks the packaged files. */
function verify() {
  const addons = findFiles(join(stage, 'node_modules'), (f) => f.endsWith('.node'));
  if (addons.length === 0) fail('no native addon staged: re2 must be there, built');
  for (const a of addons) {
    const r = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(a)})`], { encoding: 'utf8' });
    if (r.status !== 0) fail(`${relative(stage, a)} does not load on this Node (${process.version}): ${r.stderr.slice(0, 300)}`);
  }
  const check = spawnSync(
    process.execPath,
    [join(stage, 'dist/cli/floorwatch.js'), 'check', join(stage, 'rules'), join(stage, 'docs/examples')],
    { cwd: scratch, encoding: 'utf8' },
  );
  if (check.status !== 0) fail(`the staged floorwatch check failed (exit ${check.status}):\n${check.stdout}${check.stderr}`);
  writeFileSync(
    join(stage, 'RELEASE'),
    `floorwatch ${version}\nplatform ${platform}\nnode ${process.version} (ABI ${abi})\nnative ${addons.map((a) => relative(stage, a)).join(' ')}\n`,
  );
}

function findFiles(dir, pred) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? findFiles(p, pred) : pred(p) ? [p] : [];
  });
}

function gitCommitTime() {
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
  return Number(r.stdout.trim()) || Math.floor(Date.now() / 1000);
}

function sha256(file) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

function fail(message) {
  throw new Error(message);
}
