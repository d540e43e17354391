/**
 * The release tarball (`npm run release`), built once per test run and shared by the deploy
 * tests: under `npm test` every test file shares the run's TMPDIR, so the first to ask builds
 * it (under a lock) and the others reuse it. Run alone, a test builds its own and removes it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Release {
  readonly file: string;
  readonly sha256: string;
  readonly version: string;
  readonly dir: string;
}

export function releaseTarball(t: { teardown(fn: () => void): void }): Release {
  const sharedRun = tmpdir().includes('floorwatch-tests-');
  const dir = sharedRun ? join(tmpdir(), 'fw-release') : mkdtempSync(join(tmpdir(), `fw-release-${process.pid}-`));
  if (!sharedRun) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // dist/ older than a source file: build first (the release ships dist/, never the sources).
  const build = distStale() ? 'npm run build >&2 && ' : '';
  const script = `[ -f "$1/done" ] || { ${build}node scripts/release.mjs --out "$1" && touch "$1/done"; }`;
  const r = spawnSync('flock', [`${dir}.lock`, 'sh', '-c', script, 'sh', dir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the release failed (exit ${r.status}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
  if (!file) throw new Error(`no tarball in ${dir}: ${readdirSync(dir).join(', ')}`);
  const [sha256] = readFileSync(join(dir, `${file}.sha256`), 'utf8').split(/\s+/);
  return { file: join(dir, file), sha256: sha256!, version: /^floorwatch-(.+?)-linux-/.exec(file)![1]!, dir };
}

function distStale(): boolean {
  const built = join(ROOT, 'dist/cli/floorwatch.js');
  if (!existsSync(built)) return true;
  const since = statSync(built).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : e.name.endsWith('.ts') && statSync(join(ROOT, dir, e.name)).mtimeMs > since,
    );
  return ['lib', 'cli', 'agent', 'brain', 'plant', 'proto'].some(newer);
}
