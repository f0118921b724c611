'use strict';
// Runs on `npm install` in a clone of the repository: builds the Rust addon from source.
// Users installing from the registry get a prebuilt binary from an `npm/` platform package.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (process.env.FLUXION_SKIP_BUILD === '1') {
  console.log('fluxion: FLUXION_SKIP_BUILD=1, not building the native addon');
  process.exit(0);
}
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
if (cargo.status !== 0) {
  console.error(
    'fluxion: building the native addon needs Rust (cargo) on PATH: install it from rustup, then run `npm run build`.'
  );
  process.exit(1);
}
const cli = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
const r = spawnSync(
  process.execPath,
  [cli, 'build', '--platform', '--release', '--no-js', '--dts', 'native.d.ts', '--output-dir', '.'],
  { cwd: root, stdio: 'inherit' }
);
process.exit(r.status === null ? 1 : r.status);
