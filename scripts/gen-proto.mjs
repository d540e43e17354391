// Compiles proto/floorwatch.proto to protobufjs static code (ESM + .d.ts) in proto/gen/.
// Static code, not proto-loader: proto-loader measured 0.42x the throughput (feasibility.md §1).
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, existsSync } from 'node:fs';

const src = 'proto/floorwatch.proto';
const js = 'proto/gen/floorwatch.js';
const dts = 'proto/gen/floorwatch.d.ts';
const upToDate = existsSync(dts) && statSync(dts).mtimeMs >= statSync(src).mtimeMs;
if (!upToDate) {
  mkdirSync('proto/gen', { recursive: true });
  const bin = (name) => `node_modules/.bin/${name}`;
  execFileSync(
    bin('pbjs'),
    [
      '-t',
      'static-module',
      '-w',
      'es6',
      '--es6',
      '--force-number',
      '--no-verify',
      '--no-delimited',
      '--no-convert',
      '--no-beautify',
      '-o',
      js,
      src,
    ],
    { stdio: 'inherit' },
  );
  execFileSync(bin('pbts'), ['-o', dts, js], { stdio: 'inherit' });
}

// After tsc: the generated JS is not compiled by tsc, so it is copied next to the compiled wire.ts.
if (process.argv.includes('--copy')) {
  const { copyFileSync } = await import('node:fs');
  mkdirSync('dist/proto/gen', { recursive: true });
  copyFileSync(js, 'dist/proto/gen/floorwatch.js');
}
