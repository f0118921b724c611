'use strict';
// Loads the Rust addon (napi-rs layout): the platform package `@fluxion/<platform>` that npm
// installs from fluxion's optionalDependencies (what users get), else a local build at the
// package root (`npm run build` in a clone of the repository), else one error that says what to
// install. The repository's own package.json lists no platform package (scripts/package.js adds
// them to the published one), so in a clone the local build is the one found.
const fs = require('node:fs');
const path = require('node:path');

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = process.report && process.report.getReport ? process.report.getReport() : null;
    const glibc = report && report.header && report.header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The npm package that carries the addon for a platform. */
const packageOf = (triple) => `@fluxion/${triple}`;

let cached;

/** @returns {import('../index').NativeBinding} */
function load() {
  if (cached) return cached;
  const triple = platformTriple();
  const pkg = packageOf(triple);
  let pkgError = null;
  try {
    cached = require(pkg);
    return cached;
  } catch (e) {
    // Not installed is the common case; anything else (a broken binary) is worth saying.
    if (e.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(pkg)) pkgError = e;
  }
  const local = path.join(__dirname, '..', `fluxion.${triple}.node`);
  if (fs.existsSync(local)) {
    cached = require(local);
    return cached;
  }
  const err = new Error(
    `fluxion: no native addon for ${triple}` +
      (pkgError ? ` (${pkg} failed to load: ${pkgError.message.split('\n')[0]})` : '') +
      `. Install the platform package: npm install ${pkg} ` +
      '(npm adds it by itself unless optional dependencies were left out), ' +
      'or build it from source in a clone of the repository: with Rust (cargo) on PATH, `npm run build`.'
  );
  err.code = 'FLUXION_NO_ADDON';
  throw err;
}

module.exports = { load, platformTriple, packageOf };
